package io.multimodalrag.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.sun.net.httpserver.HttpServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A missing model is downloaded once at start-up from the configured mirror; when that fails, the
 * service still starts, and readiness says what went wrong. The token never shows.
 */
@QuarkusTest
@TestProfile(ModelDownloadAtStartupTest.FailingMirror.class)
class ModelDownloadAtStartupTest {

    static final AtomicInteger REQUESTS = new AtomicInteger();
    static final String TOKEN = "hf_test_secret_token_value";

    /** An empty model folder and a mirror that has nothing. */
    public static class FailingMirror implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("rag.model.dir", "target/download-at-startup-test/model",
                    "rag.model.download.enabled", "true",
                    "rag.model.download.token", TOKEN);
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(EmptyMirror.class));
        }
    }

    /** An HTTP server on a random port answering 404 to everything, counting requests. */
    public static class EmptyMirror implements QuarkusTestResourceLifecycleManager {
        private HttpServer server;

        @Override
        public Map<String, String> start() {
            try {
                server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            server.createContext("/", exchange -> {
                REQUESTS.incrementAndGet();
                exchange.sendResponseHeaders(404, -1);
                exchange.close();
            });
            server.start();
            return Map.of("rag.model.download.base-url", "http://127.0.0.1:" + server.getAddress().getPort());
        }

        @Override
        public void stop() {
            server.stop(0);
        }
    }

    @BeforeEach
    void ready() {
        ServiceReadiness.awaitStartupFinished();
    }

    @Test
    void theDownloadIsTriedOnceAndItsFailureReported() {
        assertEquals(1, REQUESTS.get(), "one attempt, stopping at the first missing file");
        given().get("/q/health/ready").then().statusCode(503)
                .body("checks.find { it.name == 'clip-model' }.data.reason", containsString("404"))
                .body(not(containsString(TOKEN)));
        given().multiPart("image", "cat.jpg", TestImages.knowledgeBaseImage("chelsea-cat.jpg"))
                .when().post("/v1/search").then()
                .statusCode(503).contentType(Problem.MEDIA_TYPE)
                .body("status", equalTo(503))
                .body(not(containsString(TOKEN)));
    }
}
