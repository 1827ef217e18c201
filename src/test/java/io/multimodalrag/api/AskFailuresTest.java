package io.multimodalrag.api;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.ValidatableResponse;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every way the vision LLM can fail, as the client of /v1/ask sees it: the status, the problem,
 * Retry-After, how many calls the fake received (retries and their bound), and that the key never
 * shows. The profile allows 2 retries within 5 s and a 1 s read timeout.
 */
@QuarkusTest
@TestProfile(VisionLlmProfile.class)
class AskFailuresTest {

    private static final int MAX_ATTEMPTS = 3;

    @FakeVisionLlm.Server
    WireMockServer llm;

    @BeforeEach
    void ready() {
        ServiceReadiness.awaitStartupFinished();
        llm.resetAll();
    }

    private static ValidatableResponse ask() {
        return AskResourceTest.ask(TestImages.gradientPng(64, 48), "photo.png", "question", "What is shown?");
    }

    private static List<SseEvents.Event> askStreaming() {
        String body = AskResourceTest.askRequest(TestImages.gradientPng(64, 48), "photo.png", "question", "What is shown?")
                .accept("text/event-stream")
                .when().post("/v1/ask").then()
                .statusCode(200).contentType(startsWith("text/event-stream"))
                .extract().asString();
        return SseEvents.parse(body);
    }

    private int calls() {
        return FakeVisionLlm.requests(llm).size();
    }

    private static List<String> names(List<SseEvents.Event> events) {
        return events.stream().map(SseEvents.Event::name).toList();
    }

    private void willAnswer(ResponseDefinitionBuilder response) {
        llm.stubFor(FakeVisionLlm.chatCompletions().willReturn(response));
    }

    /** {@code first} to the first call, {@code then} to every later one. */
    private void willAnswer(ResponseDefinitionBuilder first, ResponseDefinitionBuilder then) {
        llm.stubFor(FakeVisionLlm.chatCompletions().inScenario("retry").whenScenarioStateIs(STARTED)
                .willReturn(first).willSetStateTo("answered once"));
        llm.stubFor(FakeVisionLlm.chatCompletions().inScenario("retry").whenScenarioStateIs("answered once")
                .willReturn(then));
    }

    private static ResponseDefinitionBuilder answer() {
        return FakeVisionLlm.completion(VisionLlmProfile.MODEL, "A colour gradient.", 900, 4);
    }

    @ParameterizedTest
    @ValueSource(ints = {401, 403})
    void rejectedCredentialsAreA502ThatNeverShowsTheKey(int status) {
        // Worse than OpenAI, which only quotes the key's ends: this fake echoes all of it.
        willAnswer(FakeVisionLlm.error(status, "Incorrect API key provided: " + FakeVisionLlm.API_KEY));
        ask().statusCode(502).contentType(Problem.MEDIA_TYPE)
                .body("type", equalTo("urn:multimodal-rag:problem:llm-credentials-rejected"))
                .body("title", equalTo("Upstream rejected the credentials"))
                .body("status", equalTo(502))
                .body("detail", containsString("HTTP " + status))
                .body(not(containsString(FakeVisionLlm.API_KEY)));
        assertEquals(1, calls(), "credentials are not retried");
    }

    @Test
    void aRateLimitIsRetriedNoSoonerThanRetryAfter() {
        willAnswer(FakeVisionLlm.error(429, "Rate limit reached").withHeader("Retry-After", "1"), answer());
        ask().statusCode(200).body("answer", equalTo("A colour gradient."));
        List<LoggedRequest> requests = FakeVisionLlm.requests(llm);
        assertEquals(2, requests.size());
        long gapMs = requests.get(1).getLoggedDate().getTime() - requests.get(0).getLoggedDate().getTime();
        assertTrue(gapMs >= 950, "the retry came " + gapMs + " ms after a Retry-After of 1 s");
    }

    @Test
    void aRateLimitThatLastsIsA503WithRetryAfterOnceTheAttemptsAreSpent() {
        willAnswer(FakeVisionLlm.error(429, "Rate limit reached for requests").withHeader("Retry-After", "1"));
        ask().statusCode(503).contentType(Problem.MEDIA_TYPE)
                .header("Retry-After", "1")
                .body("type", equalTo("urn:multimodal-rag:problem:llm-rate-limited"))
                .body("detail", allOf(containsString("HTTP 429"), containsString(MAX_ATTEMPTS + " attempts"),
                        containsString("Rate limit reached for requests")));
        assertEquals(MAX_ATTEMPTS, calls(), "the first call and rag.llm.max-retries = 2 retries");
    }

    @Test
    void aRetryAfterBeyondTheRetryBudgetEndsTheRetriesAtOnce() {
        willAnswer(FakeVisionLlm.error(429, "Quota exceeded").withHeader("Retry-After", "3600"));
        ask().statusCode(503).contentType(Problem.MEDIA_TYPE).header("Retry-After", "3600");
        assertEquals(1, calls(), "waiting an hour is beyond rag.llm.retry-max-wait");
    }

    @Test
    void aRateLimitWithoutRetryAfterIsRetriedWithBackoffAndAnsweredWithOurOwnRetryAfter() {
        willAnswer(FakeVisionLlm.error(429, "Rate limit reached"));
        ask().statusCode(503).header("Retry-After", "1");
        assertEquals(MAX_ATTEMPTS, calls());
    }

    @Test
    void aServerErrorIsRetried() {
        willAnswer(FakeVisionLlm.error(500, "The server had an error processing your request"), answer());
        ask().statusCode(200).body("answer", equalTo("A colour gradient."));
        assertEquals(2, calls());
    }

    @Test
    void aServerErrorThatLastsIsA502OnceTheAttemptsAreSpent() {
        willAnswer(FakeVisionLlm.error(503, "The engine is currently overloaded"));
        ask().statusCode(502).contentType(Problem.MEDIA_TYPE)
                .body("type", equalTo("urn:multimodal-rag:problem:llm-unavailable"))
                .body("detail", allOf(containsString("HTTP 503"), containsString(MAX_ATTEMPTS + " attempts"),
                        containsString("The engine is currently overloaded")));
        assertEquals(MAX_ATTEMPTS, calls());
    }

    @ParameterizedTest
    @ValueSource(ints = {400, 404, 413, 422})
    void anotherClientErrorIsA502AndNotRetried(int status) {
        willAnswer(FakeVisionLlm.error(status, "Invalid content type. image_url is only supported by certain models."));
        ask().statusCode(502).contentType(Problem.MEDIA_TYPE)
                .body("type", equalTo("urn:multimodal-rag:problem:llm-request-refused"))
                .body("detail", allOf(containsString("HTTP " + status), containsString("image_url is only supported")));
        assertEquals(1, calls());
    }

    @Test
    void anUpstreamSlowerThanTheReadTimeoutIsA504() {
        willAnswer(answer().withFixedDelay(3000));
        ask().statusCode(504).contentType(Problem.MEDIA_TYPE)
                .body("type", equalTo("urn:multimodal-rag:problem:llm-timeout"))
                .body("detail", containsString("1 s (rag.llm.read-timeout)"));
        assertEquals(1, calls(), "a timeout is not retried");
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"choices\": [", "<html>Bad gateway</html>", "", "{}", "{\"id\": \"x\", \"choices\": []}",
            "{\"choices\": [{\"index\": 0, \"message\": {\"role\": \"assistant\", \"content\": null}}]}"})
    void aTwoHundredWithoutAUsableCompletionIsA502(String body) {
        willAnswer(aResponse().withStatus(200).withHeader("Content-Type", "application/json").withBody(body));
        ask().statusCode(502).contentType(Problem.MEDIA_TYPE)
                .body("type", equalTo("urn:multimodal-rag:problem:llm-bad-response"))
                .body("title", equalTo("Vision LLM answer unusable"));
        assertEquals(1, calls());
    }

    @Test
    void aTwoHundredCarryingAnErrorObjectIsA502SayingWhatUpstreamSaid() {
        willAnswer(FakeVisionLlm.error(200, "The model `fake-vision-1` does not exist"));
        ask().statusCode(502).contentType(Problem.MEDIA_TYPE)
                .body("type", equalTo("urn:multimodal-rag:problem:llm-bad-response"))
                .body("detail", containsString("does not exist"));
    }

    @Test
    void whenStreamingARateLimitBeforeAnyTextIsRetried() {
        willAnswer(FakeVisionLlm.error(429, "Rate limit reached").withHeader("Retry-After", "0"),
                FakeVisionLlm.stream(VisionLlmProfile.MODEL, 10, 2, "Hello ", "there."));
        List<SseEvents.Event> events = askStreaming();
        assertEquals(List.of("sources", "delta", "delta", "done"), names(events));
        assertEquals(2, calls());
    }

    @Test
    void whenStreamingAnUpstreamFailureIsAnErrorEventWithTheProblem() {
        willAnswer(FakeVisionLlm.error(401, "Incorrect API key provided"));
        List<SseEvents.Event> events = askStreaming();
        assertEquals(List.of("sources", "error"), names(events));
        JsonNode problem = FakeVisionLlm.json(events.get(1).data());
        assertEquals(502, problem.path("status").asInt());
        assertEquals("urn:multimodal-rag:problem:llm-credentials-rejected", problem.path("type").asText());
        assertEquals(1, calls());
    }

    @Test
    void aStreamThatBreaksOffEndsWithAnErrorEventAfterTheTextAndIsNotRetried() {
        willAnswer(FakeVisionLlm.sse("data: " + FakeVisionLlm.chunk(VisionLlmProfile.MODEL, null, "Partial ") + "\n\n"
                + "data: {\"choices\": [\n\n"));
        List<SseEvents.Event> events = askStreaming();
        assertEquals(List.of("sources", "delta", "error"), names(events));
        assertEquals("Partial ", FakeVisionLlm.json(events.get(1).data()).path("text").asText());
        assertEquals(502, FakeVisionLlm.json(events.get(2).data()).path("status").asInt());
        assertEquals(1, calls(), "text was already passed on: another call would repeat it");
    }

    @Test
    void aStreamCutOffWithoutFinishReasonOrDoneIsAnErrorEventNotACompleteAnswer() {
        // The connection ends cleanly after two pieces: a proxy's timeout, a crashed upstream worker.
        willAnswer(FakeVisionLlm.sse("data: " + FakeVisionLlm.chunk(VisionLlmProfile.MODEL, "assistant", "") + "\n\n"
                + "data: " + FakeVisionLlm.chunk(VisionLlmProfile.MODEL, null, "The tank holds ") + "\n\n"
                + "data: " + FakeVisionLlm.chunk(VisionLlmProfile.MODEL, null, "4") + "\n\n"));
        List<SseEvents.Event> events = askStreaming();
        assertEquals(List.of("sources", "delta", "delta", "error"), names(events));
        JsonNode problem = FakeVisionLlm.json(events.get(3).data());
        assertEquals(502, problem.path("status").asInt());
        assertTrue(problem.path("detail").asText().contains("ended before the answer was complete"), problem.toString());
    }

    @Test
    void aStreamEndingWithFinishReasonButNoDoneIsComplete() {
        String last = FakeVisionLlm.chunk(VisionLlmProfile.MODEL, null, "done.")
                .replace("\"index\":0,", "\"index\":0,\"finish_reason\":\"stop\",");
        willAnswer(FakeVisionLlm.sse("data: " + FakeVisionLlm.chunk(VisionLlmProfile.MODEL, null, "All ") + "\n\n"
                + "data: " + last + "\n\n"));
        assertEquals(List.of("sources", "delta", "delta", "done"), names(askStreaming()));
    }

    @Test
    void anAnswerOverTheLengthLimitIsRefusedInBothModes() {
        String tooLong = "x".repeat(VisionLlmProfile.MAX_ANSWER_LENGTH + 1);
        willAnswer(FakeVisionLlm.completion(VisionLlmProfile.MODEL, tooLong, 10, 2000));
        ask().statusCode(502).contentType(Problem.MEDIA_TYPE)
                .body("detail", containsString("rag.llm.max-answer-length"));
        llm.resetAll();
        willAnswer(FakeVisionLlm.stream(VisionLlmProfile.MODEL, 10, 2000, "x".repeat(1500), "x".repeat(1500)));
        List<SseEvents.Event> events = askStreaming();
        assertEquals(List.of("sources", "delta", "error"), names(events));
        assertTrue(events.get(2).data().contains("rag.llm.max-answer-length"), events.get(2).data());
    }

    @Test
    void anErrorChunkInTheMiddleOfAStreamEndsItWithAnErrorEvent() {
        willAnswer(FakeVisionLlm.sse("data: " + FakeVisionLlm.chunk(VisionLlmProfile.MODEL, null, "Partial ") + "\n\n"
                + "data: {\"error\": {\"message\": \"The server had an error while processing your request\"}}\n\n"));
        List<SseEvents.Event> events = askStreaming();
        assertEquals(List.of("sources", "delta", "error"), names(events));
        JsonNode problem = FakeVisionLlm.json(events.get(2).data());
        assertEquals("urn:multimodal-rag:problem:llm-bad-response", problem.path("type").asText());
        assertTrue(problem.path("detail").asText().contains("while processing your request"), problem.toString());
    }

    @Test
    void aStreamWithoutTextIsAnErrorEvent() {
        willAnswer(FakeVisionLlm.stream(VisionLlmProfile.MODEL, 10, 0));
        List<SseEvents.Event> events = askStreaming();
        assertEquals(List.of("sources", "error"), names(events));
        assertEquals(502, FakeVisionLlm.json(events.get(1).data()).path("status").asInt());
    }

    @Test
    void theKeyNeverAppearsInTheLogsNorTheMetricsEvenWithRequestLoggingOn() {
        String logs;
        try (CapturedLogs captured = CapturedLogs.start()) {
            willAnswer(answer());
            ask().statusCode(200);
            llm.resetAll();
            willAnswer(FakeVisionLlm.stream(VisionLlmProfile.MODEL, 10, 2, "Hello ", "there."));
            askStreaming();
            llm.resetAll();
            // OpenAI's own words for a wrong key quote only its ends.
            willAnswer(FakeVisionLlm.error(401, "Incorrect API key provided: sk-fake-****************7e."));
            ask().statusCode(502);
            llm.resetAll();
            willAnswer(FakeVisionLlm.error(429, "Rate limit reached").withHeader("Retry-After", "0"));
            ask().statusCode(503);
            llm.resetAll();
            willAnswer(answer().withFixedDelay(3000));
            ask().statusCode(504);
            logs = captured.text();
        }
        // The REST client logged every request with its headers, so the test can see the key was masked.
        assertTrue(logs.contains("Authorization=****"), "request logging is on in this profile:\n" + logs);
        assertTrue(logs.contains("vision LLM call failed"), logs);
        assertFalse(logs.contains(FakeVisionLlm.API_KEY), "the API key is in the logs:\n" + logs);
        given().get("/q/metrics").then().statusCode(200).body(not(containsString(FakeVisionLlm.API_KEY)));
    }
}
