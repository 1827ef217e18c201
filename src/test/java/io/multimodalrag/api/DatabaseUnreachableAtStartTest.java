package io.multimodalrag.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

import io.multimodalrag.testing.PostgresServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A start-up with the postgresql store while the database is not there yet (a database pod still starting): the
 * service is live but not ready and says why, searches answer 503, the password appears nowhere, and it becomes ready
 * by itself, importing the demo knowledge base, once the database answers.
 */
@QuarkusTest
@TestProfile(DatabaseUnreachableAtStartTest.DatabaseNotYetThere.class)
class DatabaseUnreachableAtStartTest {

    static final String PASSWORD = "s3cret-never-shown";

    /** The postgresql store pointed at a port nothing listens on yet, retried every 200 ms. */
    public static class DatabaseNotYetThere implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("rag.knowledge-base.store", "postgresql",
                    "rag.knowledge-base.import-from", "description.jsonl",
                    "rag.knowledge-base.cache-dir", "target/pg-unreachable-cache",
                    "rag.knowledge-base.retry-interval", "200ms");
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(LaterDatabase.class));
        }
    }

    /** Reserves a port for the database and points the datasource at it; the test starts the server there. */
    public static class LaterDatabase implements QuarkusTestResourceLifecycleManager {
        static volatile int port;
        static volatile PostgresServer server;

        @Override
        public Map<String, String> start() {
            try {
                port = PostgresServer.freePort();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return Map.of("quarkus.datasource.jdbc.url", "jdbc:postgresql://127.0.0.1:" + port + "/rag",
                    "quarkus.datasource.username", "postgres",
                    "quarkus.datasource.password", PASSWORD);
        }

        @Override
        public void stop() {
            if (server != null) {
                server.close();
            }
        }
    }

    @Test
    void notReadyWhileTheDatabaseIsAwayThenReadyByItself() {
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getenv(PostgresServer.URL_VARIABLE) == null,
                "the database is started late on a port of the test's own");
        ServiceReadiness.awaitStartupFinished();
        given().get("/q/health/live").then().statusCode(200);
        given().get("/q/health/ready").then().statusCode(503)
                .body("checks.find { it.name == 'knowledge-base' }.data.reason",
                        containsString("database cannot be used"))
                .body(not(containsString(PASSWORD)));
        given().multiPart("image", "cat.jpg", TestImages.knowledgeBaseImage("chelsea-cat.jpg")).when()
                .post("/v1/search").then().statusCode(503).contentType("application/problem+json")
                .body("type", containsString("knowledge-base-unavailable")).body(not(containsString(PASSWORD)));

        // The trust authentication of the test cluster accepts any password.
        LaterDatabase.server = PostgresServer.start("unreachable-at-start", LaterDatabase.port);

        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (given().get("/q/health/ready").statusCode() != 200) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not ready 60 s after the database came");
            }
            sleep();
        }
        given().get("/q/health/ready").then().body("checks.find { it.name == 'knowledge-base' }.data.entries",
                equalTo(29)).body("checks.find { it.name == 'knowledge-base' }.data.store", equalTo("postgresql"));
        given().multiPart("image", "cat.jpg", TestImages.knowledgeBaseImage("chelsea-cat.jpg")).when()
                .post("/v1/search").then().statusCode(200).body("results[0].id", equalTo("chelsea-cat"));
    }

    private static void sleep() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
