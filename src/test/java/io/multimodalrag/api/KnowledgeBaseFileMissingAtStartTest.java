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
import io.restassured.http.ContentType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A start-up while description.jsonl is away (a volume mounted late, a sync job replacing the file), with the
 * embedding cache's folder unusable (a file in its place): the service stays not ready and says why, searches are
 * 503, nothing stored is moved aside, and it becomes ready by itself once the file is back, embedding without the
 * cache.
 */
@QuarkusTest
@TestProfile(KnowledgeBaseFileMissingAtStartTest.FileAway.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KnowledgeBaseFileMissingAtStartTest {

    static final Path ROOT = Path.of("target", "kb-file-missing-test");
    static final Path KB = ROOT.resolve("kb");
    static final Path JSONL = KB.resolve("description.jsonl");
    static final Path AWAY = ROOT.resolve("description.jsonl.away");
    static final Path CACHE = ROOT.resolve("cache");
    static final String STORED = "0123456789abcdef.jpg";

    /** The knowledge base with its file away, retried every 200 ms. */
    public static class FileAway implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("rag.knowledge-base.descriptions", JSONL.toString(),
                    "rag.knowledge-base.cache-dir", CACHE.toString(),
                    "rag.knowledge-base.retry-interval", "200ms");
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(ScratchFiles.class));
        }
    }

    /** Writes the knowledge base with its file set aside, and a file where the cache folder should be. */
    public static class ScratchFiles implements QuarkusTestResourceLifecycleManager {
        @Override
        public Map<String, String> start() {
            try {
                TestFiles.deleteRecursively(ROOT);
                Path images = KB.resolve("image_database");
                Files.createDirectories(images);
                Files.copy(Path.of("image_database", "chelsea-cat.jpg"), images.resolve("chelsea-cat.jpg"));
                Files.copy(Path.of("image_database", "coffee-cup.jpg"), images.resolve(STORED));
                Files.writeString(AWAY, """
                        {"image_path": "image_database/chelsea-cat.jpg", "description": "a cat"}
                        {"image_path": "image_database/0123456789abcdef.jpg", "description": "an espresso, added"}
                        """);
                Files.writeString(CACHE, "not a folder");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return Map.of();
        }

        @Override
        public void stop() {
        }
    }

    @Test
    @Order(1)
    void whileTheFileIsAwayTheServiceIsNotReadyAndSaysWhy() throws InterruptedException {
        ServiceReadiness.awaitStartupFinished();
        try (CapturedLogs logs = CapturedLogs.start()) {
            given().get("/q/health/ready").then().statusCode(503)
                    .body("checks.find { it.name == 'knowledge-base' }.data.reason",
                            containsString("no knowledge base file " + JSONL.toAbsolutePath()))
                    .body("checks.find { it.name == 'knowledge-base' }.data.reason",
                            containsString("relative to the working directory " + Path.of("").toAbsolutePath()))
                    .body("checks.find { it.name == 'knowledge-base' }.data.source",
                            equalTo("description.jsonl at " + JSONL.toAbsolutePath()));
            // The retry (every 200 ms) says it loudly again, with the absolute path.
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!logs.text().contains("NO KNOWLEDGE BASE: there is no " + JSONL.toAbsolutePath())) {
                assertTrue(System.nanoTime() < deadline, logs.text());
                Thread.sleep(50);
            }
            assertTrue(logs.text().lines().filter(line -> line.contains("NO KNOWLEDGE BASE"))
                    .allMatch(line -> line.contains(" ERROR ")), logs.text());
        }
        given().multiPart("image", "q.jpg", TestImages.knowledgeBaseImage("coffee-cup.jpg")).post("/v1/search").then()
                .statusCode(503).contentType(Problem.MEDIA_TYPE)
                .body("type", equalTo("urn:multimodal-rag:problem:knowledge-base-unavailable"));
        given().contentType(ContentType.JSON).body("{\"query\": \"a cup of coffee\"}").post("/v1/search/text").then()
                .statusCode(503).body("type", equalTo("urn:multimodal-rag:problem:knowledge-base-unavailable"));
        assertTrue(Files.exists(KB.resolve("image_database").resolve(STORED)), "nothing moved aside");
    }

    @Test
    @Order(2)
    void onceTheFileIsBackItBecomesReadyByItselfWithEverythingWithoutTheCache() throws Exception {
        Files.move(AWAY, JSONL);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (given().get("/q/health/ready").statusCode() != 200) {
            assertTrue(System.nanoTime() < deadline, given().get("/q/health/ready").asString());
            Thread.sleep(50);
        }
        given().get("/q/health/ready").then()
                .body("checks.find { it.name == 'knowledge-base' }.data.entries", equalTo(2))
                .body("checks.find { it.name == 'knowledge-base' }.data.embeddingCache", containsString("cannot"));
        given().multiPart("image", "q.jpg", TestImages.knowledgeBaseImage("coffee-cup.jpg")).post("/v1/search").then()
                .statusCode(200).body("results[0].description", equalTo("an espresso, added"));
        given().get("/v1/images/0123456789abcdef").then().statusCode(200);
    }
}
