package io.multimodalrag.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multimodalrag.testing.TestFiles;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A description.jsonl whose images are all missing (image_database/ not beside it, as when the file was copied
 * somewhere alone): never served as an empty knowledge base; the service stays not ready, says why and where image
 * paths are read from, in readiness and loudly in the log at every retry.
 */
@QuarkusTest
@TestProfile(KnowledgeBaseImagesMissingTest.NoImages.class)
class KnowledgeBaseImagesMissingTest {

    static final Path ROOT = Path.of("target", "kb-images-missing-test");

    /** description.jsonl alone, two lines naming images that are not there. */
    public static class NoImages implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("rag.knowledge-base.descriptions", ROOT.resolve("description.jsonl").toString(),
                    "rag.knowledge-base.cache-dir", ROOT.resolve("cache").toString(),
                    "rag.knowledge-base.retry-interval", "200ms");
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(JsonlWithoutImages.class));
        }

        /** Writes the file before the service starts. */
        public static class JsonlWithoutImages implements QuarkusTestResourceLifecycleManager {
            @Override
            public Map<String, String> start() {
                try {
                    TestFiles.deleteRecursively(ROOT);
                    Files.createDirectories(ROOT);
                    Files.writeString(ROOT.resolve("description.jsonl"), """
                            {"image_path": "image_database/chelsea-cat.jpg", "description": "a cat"}
                            {"image_path": "image_database/coffee-cup.jpg", "description": "a cup"}
                            """);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                return Map.of();
            }

            @Override
            public void stop() {
            }
        }
    }

    @BeforeEach
    void ready() {
        ServiceReadiness.awaitStartupFinished();
    }

    @Test
    void aFileWhoseImagesAreAllMissingIsRefusedLoudlyNotServedEmpty() throws InterruptedException {
        Path folder = ROOT.toAbsolutePath();
        given().get("/q/health/ready").then().statusCode(503)
                .body("checks.find { it.name == 'knowledge-base' }.data.reason",
                        containsString("none of the 2 lines of description.jsonl can be used"))
                .body("checks.find { it.name == 'knowledge-base' }.data.reason",
                        containsString("image paths being relative to " + folder));
        try (CapturedLogs logs = CapturedLogs.start()) {
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (logs.text().lines().noneMatch(line -> line.contains(" ERROR ") && line.contains("NO USABLE ENTRY")
                    && line.contains("relative to " + folder))) {
                assertTrue(System.nanoTime() < deadline, logs.text());
                Thread.sleep(50);
            }
        }
    }

    @Test
    void readinessNamesTheFileItReads() {
        given().get("/q/health/ready").then()
                .body("checks.find { it.name == 'knowledge-base' }.data.source",
                        equalTo("description.jsonl at " + ROOT.resolve("description.jsonl").toAbsolutePath()));
    }
}
