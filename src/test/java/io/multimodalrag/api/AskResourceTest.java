package io.multimodalrag.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.multimodalrag.testing.OpenAiSchemas;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.ValidatableResponse;
import io.restassured.specification.RequestSpecification;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** /v1/ask against the fake LLM: the exact request it receives, the answer, the stream, validation. */
@QuarkusTest
@TestProfile(VisionLlmProfile.class)
class AskResourceTest {

    @FakeVisionLlm.Server
    WireMockServer llm;

    @BeforeEach
    void ready() {
        ServiceReadiness.awaitStartupFinished();
        llm.resetAll();
    }

    static RequestSpecification askRequest(byte[] image, String fileName, String... fields) {
        RequestSpecification request = given().multiPart("image", fileName, image);
        for (int i = 0; i < fields.length; i += 2) {
            request.multiPart(fields[i], fields[i + 1]);
        }
        return request;
    }

    static ValidatableResponse ask(byte[] image, String fileName, String... fields) {
        return askRequest(image, fileName, fields).when().post("/v1/ask").then();
    }

    /** What /v1/search retrieves for the same photo: the sources the prompt must hold. */
    private static List<Map<String, Object>> searchResults(byte[] image, String... fields) {
        RequestSpecification request = given().multiPart("image", "photo", image);
        for (int i = 0; i < fields.length; i += 2) {
            request.multiPart(fields[i], fields[i + 1]);
        }
        return request.when().post("/v1/search").then().statusCode(200).extract().path("results");
    }

    private LoggedRequest onlyRequest() {
        List<LoggedRequest> requests = FakeVisionLlm.requests(llm);
        assertEquals(1, requests.size(), "calls to the fake LLM");
        return requests.get(0);
    }

    @Test
    void theUpstreamReceivesTheGroundedRequest() throws IOException {
        llm.stubFor(FakeVisionLlm.chatCompletions()
                .willReturn(FakeVisionLlm.completion(VisionLlmProfile.MODEL, "A colour gradient.", 900, 12)));
        byte[] photo = TestImages.gradientPng(64, 48);
        List<Map<String, Object>> expected = searchResults(photo);

        ask(photo, "photo.png", "question", "  What is shown?  ").statusCode(200);

        LoggedRequest request = onlyRequest();
        assertEquals("Bearer " + FakeVisionLlm.API_KEY, request.getHeader("Authorization"));
        assertTrue(request.getHeader("Content-Type").startsWith("application/json"), request.getHeader("Content-Type"));
        JsonNode body = FakeVisionLlm.json(request);
        assertEquals(VisionLlmProfile.MODEL, body.path("model").asText());
        OpenAiSchemas.assertValid("CreateChatCompletionRequest", body);
        assertEquals(VisionLlmProfile.MAX_TOKENS, body.path("max_completion_tokens").asInt());
        assertFalse(body.has("max_tokens"), "OpenAI's deprecated name is not sent");
        assertEquals(0.2, body.path("temperature").asDouble(), 1e-9);
        assertFalse(body.path("stream").asBoolean(false), "a plain ask does not stream");
        assertFalse(body.has("stream_options"));

        JsonNode messages = body.path("messages");
        assertEquals(2, messages.size());
        assertEquals("system", messages.get(0).path("role").asText());
        String system = messages.get(0).path("content").asText();
        assertTrue(system.contains("descriptions") && system.contains("say so plainly"), system);
        assertEquals("user", messages.get(1).path("role").asText());

        JsonNode parts = messages.get(1).path("content");
        assertEquals(2 + 2 * expected.size() + 2, parts.size(), parts.toString());
        assertEquals("text", parts.get(0).path("type").asText());
        // The user's own photo comes first; it is small and a PNG, so its original bytes go as they are.
        assertEquals("image_url", parts.get(1).path("type").asText());
        assertEquals("data:image/png;base64," + Base64.getEncoder().encodeToString(photo),
                parts.get(1).path("image_url").path("url").asText());
        for (int i = 0; i < expected.size(); i++) {
            Map<String, Object> source = expected.get(i);
            String text = parts.get(2 + 2 * i).path("text").asText();
            assertTrue(text.contains("\"" + source.get("id") + "\""), text);
            assertTrue(text.contains((String) source.get("description")), text);
            JsonNode image = parts.get(3 + 2 * i);
            assertEquals("image_url", image.path("type").asText());
            String imagePath = (String) source.get("imagePath");
            String label = imagePath.endsWith(".png") ? "image/png" : "image/jpeg";
            BufferedImage sent = decodeDataUrl(image.path("image_url").path("url").asText(), label);
            // Every demo image is larger than the test's image-max-side, so each was downscaled to it.
            assertEquals(VisionLlmProfile.IMAGE_MAX_SIDE, Math.max(sent.getWidth(), sent.getHeight()), imagePath);
        }
        assertEquals("Question: What is shown?", parts.get(parts.size() - 2).path("text").asText());
        assertTrue(parts.get(parts.size() - 1).path("text").asText().startsWith("Write the answer in the language of"),
                parts.get(parts.size() - 1).toString());
    }

    @Test
    void aLargePhotoIsDownscaledAndTheAnswerComesBackWithItsSources() throws IOException {
        llm.stubFor(FakeVisionLlm.chatCompletions()
                .willReturn(FakeVisionLlm.completion("fake-vision-1-2025", "A cup of coffee on a saucer.", 1500, 9)));
        byte[] photo = TestImages.knowledgeBaseImage("coffee-cup.jpg");
        List<Map<String, Object>> expected = searchResults(photo, "k", "3");

        ValidatableResponse response = ask(photo, "cup.jpg", "question", "What is in the cup?", "k", "3")
                .statusCode(200)
                .contentType("application/json")
                .body("answer", equalTo("A cup of coffee on a saucer."))
                .body("model", equalTo("fake-vision-1-2025"))
                .body("usage.promptTokens", equalTo(1500))
                .body("usage.completionTokens", equalTo(9))
                .body("tookMs", greaterThanOrEqualTo(0))
                .body("sources", hasSize(3))
                .body("sources[0].id", equalTo("coffee-cup"));
        List<Map<String, Object>> sources = response.extract().path("sources");
        assertEquals(expected, sources, "the sources are what search retrieves for the same photo");

        JsonNode parts = FakeVisionLlm.json(onlyRequest()).path("messages").get(1).path("content");
        // The photo is the knowledge base's coffee-cup.jpg itself, the first source: named, its image not sent twice.
        assertEquals(2 + 2 * 3 + 2, parts.size(), parts.toString());
        assertTrue(parts.get(2).path("text").asText().contains("\"coffee-cup\""), parts.get(2).toString());
        assertEquals("text", parts.get(3).path("type").asText(), "no second copy of the photo");
        assertEquals(3, countImages(parts), "the photo and the two other references");
        JsonNode photoPart = parts.get(1);
        // 600×400 → 256×171: downscaled, re-encoded as JPEG like its source.
        BufferedImage sent = decodeDataUrl(photoPart.path("image_url").path("url").asText(), "image/jpeg");
        assertEquals(256, sent.getWidth());
        assertEquals(171, sent.getHeight());
    }

    @Test
    void theStreamedAnswerArrivesAsDeltasThenDone() {
        llm.stubFor(FakeVisionLlm.chatCompletions()
                .willReturn(FakeVisionLlm.stream(VisionLlmProfile.MODEL, 880, 3, "A ", "colour ", "gradient.")));
        byte[] photo = TestImages.gradientPng(64, 48);

        String body = askRequest(photo, "photo.png", "question", "What is shown?")
                .accept("text/event-stream")
                .when().post("/v1/ask").then()
                .statusCode(200)
                .contentType(startsWith("text/event-stream"))
                .extract().asString();

        List<SseEvents.Event> events = SseEvents.parse(body);
        assertEquals(List.of("sources", "delta", "delta", "delta", "done"), events.stream().map(SseEvents.Event::name).toList(),
                body);
        assertEquals(List.of("A ", "colour ", "gradient."),
                events.subList(1, 4).stream().map(e -> FakeVisionLlm.json(e.data()).path("text").asText()).toList());
        JsonNode done = FakeVisionLlm.json(events.get(4).data());
        // The sources event, before the LLM's text, names the same references as the answer.
        assertEquals(done.path("sources"), FakeVisionLlm.json(events.get(0).data()).path("sources"));
        assertEquals("A colour gradient.", done.path("answer").asText());
        assertEquals(VisionLlmProfile.MODEL, done.path("model").asText());
        assertEquals(880, done.path("usage").path("promptTokens").asInt());
        assertEquals(3, done.path("usage").path("completionTokens").asInt());
        assertEquals(2, done.path("sources").size());
        assertTrue(done.path("tookMs").asLong(-1) >= 0);

        LoggedRequest request = onlyRequest();
        assertTrue(request.getHeader("Accept").contains("text/event-stream"), request.getHeader("Accept"));
        JsonNode sent = FakeVisionLlm.json(request);
        assertTrue(sent.path("stream").asBoolean());
        assertTrue(sent.path("stream_options").path("include_usage").asBoolean());
        assertEquals(VisionLlmProfile.MAX_TOKENS, sent.path("max_completion_tokens").asInt());
        OpenAiSchemas.assertValid("CreateChatCompletionRequest", sent);
    }

    @Test
    void withoutAMatchTheModelIsToldSoAndNoSourcesComeBack() {
        llm.stubFor(FakeVisionLlm.chatCompletions()
                .willReturn(FakeVisionLlm.completion(VisionLlmProfile.MODEL, "I have no reference for this.", 300, 7)));

        ask(TestImages.gradientPng(64, 48), "photo.png", "question", "What is shown?", "minScore", "1")
                .statusCode(200)
                .body("answer", equalTo("I have no reference for this."))
                .body("sources", empty());

        JsonNode parts = FakeVisionLlm.json(onlyRequest()).path("messages").get(1).path("content");
        assertEquals(5, parts.size(), parts.toString());
        assertEquals("image_url", parts.get(1).path("type").asText());
        assertTrue(parts.get(2).path("text").asText().startsWith("No reference image"), parts.get(2).toString());
        assertEquals("Question: What is shown?", parts.get(3).path("text").asText());
    }

    @Test
    void withoutAnAcceptHeaderTheAnswerIsJson() {
        llm.stubFor(FakeVisionLlm.chatCompletions()
                .willReturn(FakeVisionLlm.completion(VisionLlmProfile.MODEL, "A gradient.", 10, 2)));
        askRequest(TestImages.gradientPng(64, 48), "photo.png", "question", "What?")
                .header("Accept", "*/*")
                .when().post("/v1/ask").then()
                .statusCode(200).contentType("application/json").body("answer", equalTo("A gradient."));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "\n\t"})
    void aBlankQuestionIsA400(String question) {
        ask(TestImages.gradientPng(64, 48), "photo.png", "question", question)
                .statusCode(400).contentType(Problem.MEDIA_TYPE).body("detail", containsString("'question'"));
        assertEquals(0, FakeVisionLlm.requests(llm).size());
    }

    @Test
    void aMissingQuestionIsA400() {
        ask(TestImages.gradientPng(64, 48), "photo.png", "k", "2")
                .statusCode(400).contentType(Problem.MEDIA_TYPE).body("detail", containsString("'question'"));
    }

    @Test
    void aQuestionOf2000CharactersIsAcceptedAndOneMoreIsA400() {
        llm.stubFor(FakeVisionLlm.chatCompletions()
                .willReturn(FakeVisionLlm.completion(VisionLlmProfile.MODEL, "Fine.", 10, 1)));
        // Astral characters count once each, as a person would count them.
        ask(TestImages.gradientPng(64, 48), "photo.png", "question", "🐱".repeat(2000)).statusCode(200);
        ask(TestImages.gradientPng(64, 48), "photo.png", "question", "a".repeat(2001))
                .statusCode(400).contentType(Problem.MEDIA_TYPE)
                .body("title", equalTo("Bad request"))
                .body("detail", containsString("2000"));
        assertEquals(1, FakeVisionLlm.requests(llm).size());
    }

    @ParameterizedTest
    @ValueSource(strings = {"k=0", "k=101", "k=two", "minScore=1.5", "minScore=high"})
    void kAndMinScoreAreCheckedAsInSearch(String field) {
        String[] nameAndValue = field.split("=");
        ask(TestImages.gradientPng(64, 48), "photo.png", "question", "What?", nameAndValue[0], nameAndValue[1])
                .statusCode(400).contentType(Problem.MEDIA_TYPE).body("detail", containsString("'" + nameAndValue[0] + "'"));
    }

    @Test
    void imageProblemsAreAnsweredAsInSearchWithoutAskingTheLlm() {
        given().multiPart("question", "What?").when().post("/v1/ask").then()
                .statusCode(400).contentType(Problem.MEDIA_TYPE).body("detail", containsString("'image'"));
        ask("not an image".getBytes(), "photo.jpg", "question", "What?")
                .statusCode(415).contentType(Problem.MEDIA_TYPE)
                .body("type", equalTo("urn:multimodal-rag:problem:unsupported-image"));
        ask(TestImages.truncatedJpeg(), "cut.jpg", "question", "What?")
                .statusCode(422).contentType(Problem.MEDIA_TYPE)
                .body("type", equalTo("urn:multimodal-rag:problem:undecodable-image"));
        ask(new byte[21 * 1024 * 1024], "big.jpg", "question", "What?").statusCode(413);
        assertEquals(0, FakeVisionLlm.requests(llm).size());
    }

    @Test
    void whenStreamingAFailureAfterTheFormIsCheckedIsAnErrorEventHoldingTheProblem() {
        // Missing fields are still refused with a status: the form is checked before the stream starts.
        given().accept("text/event-stream").multiPart("question", "What?").when().post("/v1/ask").then()
                .statusCode(400).contentType(Problem.MEDIA_TYPE).body("detail", containsString("'image'"));
        // Decoding happens on a worker once the stream has started: the problem arrives as its one event.
        String body = askRequest(TestImages.truncatedJpeg(), "cut.jpg", "question", "What?").accept("text/event-stream")
                .when().post("/v1/ask").then()
                .statusCode(200).contentType(startsWith("text/event-stream"))
                .extract().asString();
        JsonNode problem = SseEvents.onlyErrorProblem(body);
        assertEquals(422, problem.path("status").asInt());
        assertEquals("urn:multimodal-rag:problem:undecodable-image", problem.path("type").asText());
        assertEquals(0, FakeVisionLlm.requests(llm).size());
    }

    @Test
    void theLlmHealthGroupIsUpAndReadinessIgnoresIt() {
        given().get("/q/health/group/llm").then().statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks[0].name", equalTo("vision-llm"))
                .body("checks[0].data.configured", equalTo(true))
                .body("checks[0].data.model", equalTo(VisionLlmProfile.MODEL))
                .body("checks[0].data.url", equalTo(llm.baseUrl() + "/v1"))
                .body(not(containsString(FakeVisionLlm.API_KEY)));
        given().get("/q/health/ready").then().statusCode(200)
                .body("checks.name", not(org.hamcrest.Matchers.hasItem("vision-llm")));
    }

    @Test
    void openApiDescribesTheAskEndpoint() {
        given().queryParam("format", "json").get("/q/openapi").then().statusCode(200)
                .body("paths.'/v1/ask'.post.summary", containsString("question about a photo"));
    }

    /** Checks the data URL's label against its bytes and decodes them. */
    static BufferedImage decodeDataUrl(String url, String expectedType) throws IOException {
        String prefix = "data:" + expectedType + ";base64,";
        assertTrue(url.startsWith(prefix), url.substring(0, Math.min(40, url.length())));
        byte[] bytes = Base64.getDecoder().decode(url.substring(prefix.length()));
        boolean jpeg = (bytes[0] & 0xFF) == 0xFF && (bytes[1] & 0xFF) == 0xD8;
        boolean png = (bytes[0] & 0xFF) == 0x89 && bytes[1] == 'P';
        assertTrue(expectedType.equals("image/jpeg") ? jpeg : png, "the label matches the bytes");
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(bytes));
        assertNotNull(image, "the data URL holds a readable image");
        return image;
    }

    private static int countImages(JsonNode parts) {
        int images = 0;
        for (JsonNode part : parts) {
            if (part.path("type").asText().equals("image_url")) {
                images++;
            }
        }
        return images;
    }
}
