package io.multimodalrag.api;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * As shipped, the service records and exports no span (sampling is off until configured), yet a 5xx still names the
 * request's trace id, so that log lines and problem can be matched.
 */
@QuarkusTest
class TracingOffByDefaultTest {

    @Inject
    InMemorySpanExporter spans;

    @BeforeEach
    void ready() {
        ServiceReadiness.awaitStartupFinished();
        spans.reset();
    }

    @Test
    void nothingIsRecordedButA5xxStillNamesItsTrace() throws InterruptedException {
        given().multiPart("image", "cat.jpg", TestImages.knowledgeBaseImage("chelsea-cat.jpg")).post("/v1/search")
                .then().statusCode(200);
        // The default profile has no LLM key: an ask is a 503, which names its trace.
        String traceId = AskResourceTest.askRequest(TestImages.knowledgeBaseImage("chelsea-cat.jpg"), "cat.jpg",
                "question", "What?").post("/v1/ask").then().statusCode(503).extract().path("traceId");
        assertTrue(traceId != null && traceId.matches("[0-9a-f]{32}") && !traceId.equals("0".repeat(32)), traceId);
        Thread.sleep(6_000); // past the batch span processor's 5 s schedule
        assertEquals(List.of(), spans.getFinishedSpanItems());
    }
}
