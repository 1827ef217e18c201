package io.multimodalrag.api;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** The metrics an operator acts on move as asks, failures and retries happen; the first ask warns about nothing. */
@QuarkusTest
@TestProfile(MetricsTest.Metered.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MetricsTest {

    /** {@link VisionLlmProfile} in an application of its own, so that its first ask is this test's. */
    public static class Metered extends VisionLlmProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Map<String, String> config = new HashMap<>(super.getConfigOverrides());
            config.put("rag.llm.read-timeout", "10s");
            config.put("rag.knowledge-base.cache-dir", "target/metrics-test-cache");
            return config;
        }
    }

    @FakeVisionLlm.Server
    WireMockServer llm;

    @BeforeEach
    void ready() {
        ServiceReadiness.awaitStartupFinished();
        llm.resetAll();
    }

    /** The value of the series {@code name} with exactly {@code labels} (as Prometheus writes them, or ""). */
    private static double value(String name, String labels) {
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        Matcher matcher = Pattern.compile("(?m)^" + Pattern.quote(name) + (labels.isEmpty() ? "" : Pattern.quote("{" + labels + "}"))
                + " ([0-9.eE+-]+)$").matcher(metrics);
        assertTrue(matcher.find(), name + "{" + labels + "} in " + metrics.lines().filter(l -> l.startsWith(name)).toList());
        return Double.parseDouble(matcher.group(1));
    }

    private static void ask() {
        AskResourceTest.askRequest(TestImages.knowledgeBaseImage("chelsea-cat.jpg"), "cat.jpg", "question", "What breed?")
                .post("/v1/ask");
    }

    @Test
    @Order(1)
    void anAnswerCountsItsOutcomeTokensAndTimeAndTheFirstAskWarnsAboutNothing() {
        llm.stubFor(FakeVisionLlm.chatCompletions().willReturn(FakeVisionLlm.completion(VisionLlmProfile.MODEL,
                "A tabby cat.", 812, 19)));
        double answered = value("rag_ask_outcomes_total", "outcome=\"answered\"");
        double in = value("rag_llm_tokens_total", "direction=\"in\"");
        double calls = value("rag_llm_latency_seconds_count", "");
        try (CapturedLogs logs = CapturedLogs.start()) {
            ask();
            assertFalse(logs.text().contains("already registered"), logs.text());
            assertFalse(logs.text().lines().anyMatch(line -> line.contains(" WARN ") || line.contains(" ERROR ")), logs.text());
        }
        assertEquals(answered + 1, value("rag_ask_outcomes_total", "outcome=\"answered\""));
        assertEquals(in + 812, value("rag_llm_tokens_total", "direction=\"in\""));
        assertEquals(calls + 1, value("rag_llm_latency_seconds_count", ""));
    }

    @Test
    @Order(2)
    void aStreamedAnswerTimesItsFirstToken() {
        llm.stubFor(FakeVisionLlm.chatCompletions().willReturn(FakeVisionLlm.stream(VisionLlmProfile.MODEL, 10, 3,
                "A ", "cat.")));
        double first = value("rag_llm_first_token_seconds_count", "");
        double out = value("rag_llm_tokens_total", "direction=\"out\"");
        AskResourceTest.askRequest(TestImages.knowledgeBaseImage("chelsea-cat.jpg"), "cat.jpg", "question", "What?")
                .accept("text/event-stream").post("/v1/ask").then().statusCode(200);
        assertEquals(first + 1, value("rag_llm_first_token_seconds_count", ""));
        assertEquals(out + 3, value("rag_llm_tokens_total", "direction=\"out\""));
    }

    @Test
    @Order(3)
    void failuresCountByKindAndRetriesAreCounted() {
        double rejected = value("rag_ask_outcomes_total", "outcome=\"credentials_rejected\"");
        llm.stubFor(FakeVisionLlm.chatCompletions().willReturn(FakeVisionLlm.error(401, "Incorrect API key")));
        ask();
        assertEquals(rejected + 1, value("rag_ask_outcomes_total", "outcome=\"credentials_rejected\""));

        double retries = value("rag_llm_retries_total", "kind=\"rate_limited\"");
        llm.resetAll();
        llm.stubFor(FakeVisionLlm.chatCompletions().inScenario("busy").whenScenarioStateIs("Started")
                .willReturn(FakeVisionLlm.error(429, "Rate limit reached").withHeader("Retry-After", "0"))
                .willSetStateTo("calm"));
        llm.stubFor(FakeVisionLlm.chatCompletions().inScenario("busy").whenScenarioStateIs("calm")
                .willReturn(FakeVisionLlm.completion(VisionLlmProfile.MODEL, "A cat.", 5, 2)));
        ask();
        assertEquals(retries + 1, value("rag_llm_retries_total", "kind=\"rate_limited\""));

        double noImage = value("rag_ask_outcomes_total", "outcome=\"rejected\"");
        AskResourceTest.askRequest(TestImages.truncatedJpeg(), "cut.jpg", "question", "What?").post("/v1/ask")
                .then().statusCode(422);
        assertEquals(noImage + 1, value("rag_ask_outcomes_total", "outcome=\"rejected\""));
    }

    @Test
    @Order(4)
    void theKnowledgeBaseEncoderAndUploadBudgetAreGauged() {
        assertEquals(29, value("rag_knowledge_base_entries", ""));
        assertEquals(1, value("rag_knowledge_base_state", "state=\"ready\""));
        assertEquals(0, value("rag_knowledge_base_state", "state=\"failed\""));
        assertEquals(29, value("rag_embedding_cache_hits_total", "") + value("rag_embedding_cache_misses_total", ""));
        assertEquals(0, value("rag_encoder_queue_depth", ""));
        assertEquals(0, value("rag_encoder_rejections_total", ""));
        assertEquals(128L << 20, (long) value("rag_upload_buffered_limit_bytes", ""));
        assertEquals(0, value("rag_upload_rejections_total", ""));
    }
}
