package io.multimodalrag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.multimodalrag.testing.PackagedService;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The packaged service with JSON logs switched on, as a cluster runs it: every log line is one JSON object, and the
 * line about a failed LLM call carries the trace id that the user's 5xx problem names.
 */
class JsonLogsIT {

    private static final Path DIR = Path.of("target", "json-logs");

    @Test
    void everyLineIsAJsonObjectAndAFailureNamesItsTrace() throws Exception {
        String traceId;
        try (PackagedService service = PackagedService.of("the service", DIR.resolve("service.log"), Map.of(
                "quarkus.log.console.json.enabled", "true",
                "rag.knowledge-base.cache-dir", DIR.resolve("cache").toString(),
                "rag.llm.api-key", "sk-json-logs-test",
                "rag.llm.max-retries", "0",
                // nothing listens there: the call fails at once
                "quarkus.rest-client.vision-llm.url", "http://127.0.0.1:" + io.multimodalrag.testing.PostgresServer.freePort()))) {
            service.start();
            service.awaitReady();
            traceId = service.spec().multiPart("image", "cat.jpg", Files.readAllBytes(Path.of("image_database/chelsea-cat.jpg")))
                    .multiPart("question", "What breed is this cat?").post("/v1/ask").then().statusCode(502)
                    .extract().path("traceId");
        }
        assertTrue(traceId != null && traceId.matches("[0-9a-f]{32}"), traceId);

        ObjectMapper json = new ObjectMapper();
        List<JsonNode> records = new ArrayList<>();
        for (String line : Files.readAllLines(DIR.resolve("service.log"))) {
            if (line.startsWith("WARNING: ")) {
                continue; // the JVM's own notes on stderr (incubator modules), not the service's logging
            }
            assertTrue(line.startsWith("{"), "not a JSON line: " + line);
            records.add(json.readTree(line));
        }
        assertTrue(records.stream().anyMatch(r -> r.path("message").asText().startsWith("knowledge base ready")
                && r.path("level").asText().equals("INFO")), "the start-up lines are there");
        JsonNode failure = records.stream().filter(r -> r.path("message").asText().startsWith("vision LLM call failed"))
                .findFirst().orElseThrow(() -> new AssertionError("no line about the failed call"));
        assertEquals(traceId, failure.path("mdc").path("traceId").asText(), failure.toString());
        assertFalse(Files.readString(DIR.resolve("service.log")).contains("sk-json-logs-test"), "the key stays out");
    }
}
