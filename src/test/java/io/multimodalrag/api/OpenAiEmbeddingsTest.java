package io.multimodalrag.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.multimodalrag.testing.OpenAiSchemas;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** POST /v1/embeddings and GET /v1/models as OpenAI's clients call them, checked against OpenAI's schemas. */
@QuarkusTest
class OpenAiEmbeddingsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @BeforeEach
    void ready() {
        ServiceReadiness.awaitStartupFinished();
    }

    private static JsonNode post(String body, int status) {
        String answer = given().contentType(ContentType.JSON).body(body).when().post("/v1/embeddings").then()
                .statusCode(status).extract().asString();
        try {
            return JSON.readTree(answer);
        } catch (java.io.IOException e) {
            throw new AssertionError(answer, e);
        }
    }

    private static float[] floats(JsonNode array) {
        float[] values = new float[array.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = array.get(i).floatValue();
        }
        return values;
    }

    /** What the service's own text endpoint gives for {@code text}. */
    private static float[] ownEmbedding(String text) {
        String body = given().contentType(ContentType.JSON).body("{\"input\": " + JSON.valueToTree(text) + "}")
                .post("/v1/embeddings/text").then().statusCode(200).extract().asString();
        try {
            return floats(JSON.readTree(body).path("data").get(0).path("embedding"));
        } catch (java.io.IOException e) {
            throw new AssertionError(body, e);
        }
    }

    @Test
    void oneStringGetsOpenAisResponseWithTheVectorOfTheServicesOwnEndpoint() {
        JsonNode answer = post("{\"model\": \"clip-tiny\", \"input\": \"a photo of a cat\"}", 200);
        OpenAiSchemas.assertValid("CreateEmbeddingResponse", answer);
        assertEquals("list", answer.path("object").asText());
        assertEquals("clip-tiny", answer.path("model").asText());
        assertEquals(1, answer.path("data").size());
        JsonNode first = answer.path("data").get(0);
        assertEquals("embedding", first.path("object").asText());
        assertEquals(0, first.path("index").asInt());
        assertArrayEquals(ownEmbedding("a photo of a cat"), floats(first.path("embedding")), 0f);
        // <|startoftext|> a photo of a cat <|endoftext|>
        assertEquals(7, answer.path("usage").path("prompt_tokens").asInt());
        assertEquals(7, answer.path("usage").path("total_tokens").asInt());
    }

    @Test
    void aListKeepsItsOrderAndBase64HoldsTheSameLittleEndianFloats() {
        String[] texts = {"a red motorcycle", "موتورسیکلت قرمز", "一只猫"};
        JsonNode floatsAnswer = post("{\"model\": \"clip-tiny\", \"input\": " + JSON.valueToTree(texts) + "}", 200);
        JsonNode base64Answer = post("{\"model\": \"clip-tiny\", \"encoding_format\": \"base64\", \"input\": "
                + JSON.valueToTree(texts) + ", \"user\": \"someone\"}", 200);
        OpenAiSchemas.assertValid("CreateEmbeddingResponse", floatsAnswer);
        for (int i = 0; i < texts.length; i++) {
            assertEquals(i, floatsAnswer.path("data").get(i).path("index").asInt());
            float[] expected = ownEmbedding(texts[i]);
            assertArrayEquals(expected, floats(floatsAnswer.path("data").get(i).path("embedding")), 0f, texts[i]);
            ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(
                    base64Answer.path("data").get(i).path("embedding").asText())).order(ByteOrder.LITTLE_ENDIAN);
            float[] decoded = new float[bytes.remaining() / Float.BYTES];
            bytes.asFloatBuffer().get(decoded);
            assertArrayEquals(expected, decoded, 0f, texts[i]);
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            {"model": "clip-tiny", "input": []}                                  | 400 | bad_request | 1 to
            {"model": "clip-tiny", "input": ""}                                  | 400 | bad_request | empty
            {"model": "clip-tiny"}                                               | 400 | bad_request | 'input' is missing
            {"model": "clip-tiny", "input": [[1212, 318]]}                       | 400 | bad_request | token arrays
            {"model": "clip-tiny", "input": "x", "encoding_format": "int8"}      | 400 | bad_request | encoding_format
            {"model": "clip-tiny", "input": "x", "dimensions": 16}               | 400 | bad_request | dimensions
            {"model": "clip-tiny", "input": "x", "temperature": 1}               | 400 | bad_request | unrecognized
            {"input": "x"}                                                       | 400 | bad_request | 'model' is missing
            {"model": "text-embedding-3-small", "input": "x"}                    | 404 | model_not_found | clip-tiny
            {"model": "clip-tiny", "input": "x"                                  | 400 | bad_request |
            """)
    void badRequestsGetAProblemThatIsAlsoOpenAisErrorObject(String body, int status, String code, String says) {
        JsonNode answer = post(body, status);
        OpenAiSchemas.assertValid("ErrorResponse", answer);
        assertEquals(status, answer.path("status").asInt(), "the problem's members are there too");
        assertEquals("invalid_request_error", answer.path("error").path("type").asText());
        assertEquals(code, answer.path("error").path("code").asText());
        assertEquals(answer.path("detail").asText(), answer.path("error").path("message").asText());
        if (says != null) {
            assertTrue(answer.path("detail").asText().contains(says), answer.toString());
        }
    }

    @Test
    void theModelsListedAreWhatEmbeddingsAccepts() {
        String body = given().when().get("/v1/models").then().statusCode(200)
                .contentType(containsString("application/json"))
                .body("object", equalTo("list"))
                .body("data[0].id", equalTo("clip-tiny"))
                .body("data[0].object", equalTo("model"))
                .body("data[0].owned_by", equalTo("multimodal-rag"))
                .extract().asString();
        try {
            JsonNode models = JSON.readTree(body);
            OpenAiSchemas.assertValid("ListModelsResponse", models);
            assertEquals(1, models.path("data").size(), "one export serves images and text under one id");
            post("{\"model\": " + models.path("data").get(0).path("id") + ", \"input\": \"x\"}", 200);
        } catch (java.io.IOException e) {
            throw new AssertionError(body, e);
        }
    }
}
