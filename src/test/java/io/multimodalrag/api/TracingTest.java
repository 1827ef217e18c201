package io.multimodalrag.api;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The spans of an ask and of a search, as an OTLP collector would receive them (read here from the in-memory
 * exporter, with sampling switched on), and the trace id that joins a user's 5xx problem, the log lines and the trace.
 */
@QuarkusTest
@TestProfile(TracingTest.Sampled.class)
class TracingTest {

    /** {@link VisionLlmProfile} with every trace sampled and spans handed to the exporter at once. */
    public static class Sampled extends VisionLlmProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Map<String, String> config = new HashMap<>(super.getConfigOverrides());
            config.put("quarkus.otel.traces.sampler", "always_on");
            config.put("quarkus.otel.bsp.schedule.delay", "20ms");
            config.put("rag.llm.read-timeout", "10s");
            return config;
        }
    }

    @FakeVisionLlm.Server
    WireMockServer llm;

    @Inject
    InMemorySpanExporter spans;

    @BeforeEach
    void reset() {
        ServiceReadiness.awaitStartupFinished();
        llm.resetAll();
        spans.reset();
    }

    /** The spans of the trace whose server span is {@code route}, once they have all arrived. */
    private List<SpanData> traceOf(String route, Set<String> expected) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            List<SpanData> all = spans.getFinishedSpanItems();
            for (SpanData server : all) {
                if (server.getName().equals(route)) {
                    List<SpanData> trace = all.stream().filter(s -> s.getTraceId().equals(server.getTraceId())).toList();
                    if (trace.stream().map(SpanData::getName).collect(Collectors.toSet()).containsAll(expected)) {
                        return trace;
                    }
                }
            }
            assertTrue(System.nanoTime() < deadline, "spans so far: " + all.stream().map(SpanData::getName).toList());
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    private static SpanData named(List<SpanData> trace, String name) {
        return trace.stream().filter(s -> s.getName().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void anAskIsOneTraceFromTheUploadToTheLlmCall() {
        llm.stubFor(FakeVisionLlm.chatCompletions().willReturn(FakeVisionLlm.completion(VisionLlmProfile.MODEL,
                "A tabby cat.", 812, 19)));
        AskResourceTest.askRequest(TestImages.knowledgeBaseImage("chelsea-cat.jpg"), "cat.jpg", "question",
                "What breed is this cat?").post("/v1/ask").then().statusCode(200);

        Set<String> stages = Set.of("rag.upload.read", "rag.image.decode", "rag.image.preprocess", "rag.encoder.queue",
                "rag.encoder.inference", "rag.search", "rag.prompt.build", "rag.llm.call");
        List<SpanData> trace = traceOf("POST /v1/ask", stages);
        SpanData server = named(trace, "POST /v1/ask");
        for (String stage : stages) {
            assertEquals(server.getTraceId(), named(trace, stage).getTraceId(), stage);
        }
        assertEquals(1L, named(trace, "rag.encoder.inference").getAttributes()
                .get(AttributeKey.longKey("rag.encoder.batch.size")));
        SpanData call = named(trace, "rag.llm.call");
        assertEquals(VisionLlmProfile.MODEL, call.getAttributes().get(AttributeKey.stringKey("gen_ai.request.model")));
        assertEquals(812L, call.getAttributes().get(AttributeKey.longKey("gen_ai.usage.input_tokens")));
        assertEquals(19L, call.getAttributes().get(AttributeKey.longKey("gen_ai.usage.output_tokens")));
        assertEquals("answered", call.getAttributes().get(AttributeKey.stringKey("rag.llm.outcome")));
        // Each stage lies within the request.
        for (String stage : stages) {
            SpanData span = named(trace, stage);
            assertTrue(span.getStartEpochNanos() >= server.getStartEpochNanos()
                    && span.getEndEpochNanos() <= server.getEndEpochNanos(), stage);
        }
    }

    @Test
    void aSearchIsTracedToo() {
        given().multiPart("image", "cat.jpg", TestImages.knowledgeBaseImage("chelsea-cat.jpg")).post("/v1/search")
                .then().statusCode(200);
        List<SpanData> trace = traceOf("POST /v1/search", Set.of("rag.upload.read", "rag.image.decode",
                "rag.encoder.inference", "rag.search"));
        assertEquals(29L, named(trace, "rag.search").getAttributes().get(AttributeKey.longKey("rag.search.entries")));
    }

    @Test
    void aFailedLlmCallIsAnErrorSpanAndThe5xxNamesTheTraceAsTheLogDoes() {
        llm.stubFor(FakeVisionLlm.chatCompletions().willReturn(FakeVisionLlm.error(401, "Incorrect API key provided")));
        String traceId;
        try (CapturedLogs logs = CapturedLogs.start()) {
            traceId = AskResourceTest.askRequest(TestImages.knowledgeBaseImage("chelsea-cat.jpg"), "cat.jpg", "question",
                    "What breed is this cat?").post("/v1/ask").then().statusCode(502)
                    .contentType(Problem.MEDIA_TYPE).extract().path("traceId");
            assertTrue(traceId != null && traceId.matches("[0-9a-f]{32}"), traceId);
            assertTrue(logs.text().lines().anyMatch(line -> line.contains("vision LLM call failed")
                    && line.contains("traceId=" + traceId)), logs.text());
        }
        List<SpanData> trace = traceOf("POST /v1/ask", Set.of("rag.llm.call"));
        assertEquals(traceId, named(trace, "POST /v1/ask").getTraceId());
        SpanData call = named(trace, "rag.llm.call");
        assertEquals(io.opentelemetry.api.trace.StatusCode.ERROR, call.getStatus().getStatusCode());
        assertEquals("credentials_rejected", call.getAttributes().get(AttributeKey.stringKey("rag.llm.outcome")));
        // A 4xx names no trace: nothing for an operator to look up.
        given().multiPart("image", "x.jpg", new byte[] {1, 2, 3}).multiPart("question", "What?").post("/v1/ask").then()
                .statusCode(415).body("$", org.hamcrest.Matchers.not(org.hamcrest.Matchers.hasKey("traceId")));
    }
}
