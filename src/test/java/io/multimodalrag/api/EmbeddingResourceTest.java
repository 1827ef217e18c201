package io.multimodalrag.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@QuarkusTest
class EmbeddingResourceTest {

    @BeforeEach
    void ready() {
        ServiceReadiness.awaitStartupFinished();
    }

    @Test
    void anImageEmbeddingIsUnitLengthWithTheModelsDimensions() {
        List<Float> embedding = given().multiPart("image", "cat.jpg", TestImages.knowledgeBaseImage("chelsea-cat.jpg"))
                .when().post("/v1/embeddings/image").then()
                .statusCode(200)
                .body("dimensions", equalTo(32))
                .body("embedding", hasSize(32))
                .body("model", equalTo("clip-tiny"))
                .extract().path("embedding");
        double norm = 0;
        for (float v : embedding) {
            norm += v * v;
        }
        assertEquals(1.0, Math.sqrt(norm), 1e-4);
    }

    @Test
    void theSameImageGivesTheSameEmbedding() {
        byte[] image = TestImages.knowledgeBaseImage("coffee-cup.jpg");
        List<Float> first = given().multiPart("image", "a.jpg", image).post("/v1/embeddings/image").path("embedding");
        List<Float> second = given().multiPart("image", "b.jpg", image).post("/v1/embeddings/image").path("embedding");
        assertEquals(first, second);
    }

    @Test
    void eachImageIsTimedStageByStageInTheMetrics() {
        double decodedBefore = metric("rag_image_decode_seconds_count");
        double runsBefore = metric("rag_encoder_inference_seconds_count");
        given().multiPart("image", "cat.jpg", TestImages.knowledgeBaseImage("chelsea-cat.jpg"))
                .post("/v1/embeddings/image").then().statusCode(200);
        assertTrue(metric("rag_image_decode_seconds_count") >= decodedBefore + 1, "decode timer counted the image");
        assertTrue(metric("rag_image_preprocess_seconds_count") >= 1, "preprocess timer counted the image");
        assertTrue(metric("rag_encoder_inference_seconds_count") >= runsBefore + 1, "inference timer counted the run");
        assertTrue(metric("rag_encoder_inference_seconds_sum") > 0, "inference took some time");
        assertTrue(metric("rag_encoder_batch_size_sum") >= 1, "batch size recorded");
    }

    /** A metric's value from /q/metrics, 0 when absent. */
    private static double metric(String name) {
        String text = given().get("/q/metrics").then().statusCode(200).extract().asString();
        for (String line : text.split("\n")) {
            if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return 0;
    }

    @Test
    void aNonImageIsA415() {
        given().multiPart("image", "a.jpg", "hello".getBytes()).when().post("/v1/embeddings/image").then()
                .statusCode(415).contentType(Problem.MEDIA_TYPE);
    }

    private static ValidatableResponse embedTexts(Object body) {
        return given().contentType(ContentType.JSON).body(body).when().post("/v1/embeddings/text").then();
    }

    @Test
    void aTextEmbeddingIsUnitLengthWithTheDimensionsOfImageEmbeddings() {
        int imageDimensions = given().multiPart("image", "cat.jpg", TestImages.knowledgeBaseImage("chelsea-cat.jpg"))
                .post("/v1/embeddings/image").then().statusCode(200).extract().path("dimensions");
        List<Float> embedding = embedTexts(Map.of("input", "a photo of a cat"))
                .statusCode(200)
                .contentType("application/json")
                .body("data", hasSize(1))
                .body("data[0].index", equalTo(0))
                .body("data[0].embedding", hasSize(imageDimensions))
                .body("dimensions", equalTo(imageDimensions))
                .body("model", equalTo("clip-tiny"))
                .extract().path("data[0].embedding");
        double norm = 0;
        for (float v : embedding) {
            norm += v * v;
        }
        assertEquals(1.0, Math.sqrt(norm), 1e-4);
    }

    @Test
    void aListOfTextsGivesTheReferenceEmbeddingsInOrder() throws IOException {
        // expected.json holds the PyTorch model's outputs for these texts, tokenized by the reference
        JsonNode expected = new ObjectMapper().readTree(Files.readString(
                Path.of("src/test/resources/clip-tiny/expected.json"))).get("text");
        List<String> texts = new ArrayList<>();
        expected.get("texts").forEach(text -> texts.add(text.asText()));
        ValidatableResponse response = embedTexts(Map.of("input", texts)).statusCode(200).body("data", hasSize(3));
        for (int i = 0; i < texts.size(); i++) {
            response.body("data[" + i + "].index", equalTo(i));
            List<Float> embedding = response.extract().path("data[" + i + "].embedding");
            for (int d = 0; d < embedding.size(); d++) {
                assertEquals(expected.get("text_embeds_normalized").get(i).get(d).asDouble(), embedding.get(d), 1e-4,
                        "text " + i + ", dimension " + d);
            }
        }
    }

    @Test
    void aTextAloneAndInAListGetTheSameEmbedding() {
        List<Float> alone = embedTexts(Map.of("input", "gas cylinder")).statusCode(200).extract().path("data[0].embedding");
        List<List<Float>> listed = embedTexts(Map.of("input", List.of("coffee cup", "gas cylinder"))).statusCode(200)
                .extract().path("data.embedding");
        assertNotEquals(listed.get(0), listed.get(1));
        assertEquals(alone.size(), listed.get(1).size());
        for (int d = 0; d < alone.size(); d++) {
            assertEquals(alone.get(d), listed.get(1).get(d), 1e-5);
        }
    }

    @Test
    void sixtyFourTextsAreAcceptedAndSixtyFiveAreNot() {
        embedTexts(Map.of("input", Collections.nCopies(64, "battery"))).statusCode(200).body("data", hasSize(64))
                .body("data[63].index", equalTo(63));
        embedTexts(Map.of("input", Collections.nCopies(65, "battery"))).statusCode(400).contentType(Problem.MEDIA_TYPE)
                .body("detail", containsString("rag.text.max-inputs"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"{}", "{\"input\": null}", "{\"input\": \"\"}", "{\"input\": \" \"}", "{\"input\": []}",
            "{\"input\": [\"a\", 7]}", "{\"input\": [\"a\", \"\"]}", "{\"input\": {\"text\": \"a\"}}", "{\"input\": true}",
            "{\"text\": \"a\"}"})
    void aMissingEmptyOrNonTextInputIsA400(String body) {
        embedTexts(body).statusCode(400).contentType(Problem.MEDIA_TYPE)
                .body("type", equalTo("urn:multimodal-rag:problem:bad-request"))
                .body("detail", containsString("'input"));
    }

    @Test
    void anInputOverTheLengthLimitIsA400NamingIt() {
        embedTexts(Map.of("input", List.of("fine", "x".repeat(1001)))).statusCode(400).contentType(Problem.MEDIA_TYPE)
                .body("detail", containsString("'input[1]' is 1001 characters long"));
    }

    @Test
    void malformedJsonIsA400AndOtherContentTypesA415() {
        embedTexts("{\"input\": [\"a\",").statusCode(400).contentType(Problem.MEDIA_TYPE)
                .body("detail", equalTo("the request body is not valid JSON (at line 1, column 16)"));
        embedTexts("{\"input\": [\"a\" \"b\"]}").statusCode(400).contentType(Problem.MEDIA_TYPE)
                .body("detail", containsString("not valid JSON (at line 1, column"));
        embedTexts("[\"a\"]").statusCode(400).contentType(Problem.MEDIA_TYPE)
                .body("detail", containsString("not a JSON object of the documented shape"));
        given().contentType(ContentType.TEXT).body("a cat").post("/v1/embeddings/text").then()
                .statusCode(415).contentType(Problem.MEDIA_TYPE);
    }
}
