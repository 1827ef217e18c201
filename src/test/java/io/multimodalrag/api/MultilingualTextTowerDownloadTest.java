package io.multimodalrag.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.multimodalrag.files.ContentHash;
import io.multimodalrag.testing.MclipTiny;
import io.multimodalrag.testing.TestFiles;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code rag.model.text-tower=multilingual} with the tower missing and {@code rag.model.download.text-manifest}
 * pointing at a pinned manifest (the one onnx-models/download.sh writes): the tower is downloaded at start-up from
 * the mirror and verified, then answers Persian queries through HTTP: PyTorch's vector for the text, scored against
 * the image matrix, no hint.
 */
@QuarkusTest
@TestProfile(MultilingualTextTowerDownloadTest.Multilingual.class)
class MultilingualTextTowerDownloadTest {

    private static final Path FIXTURE = MclipTiny.DIR;
    private static final Path WORK = Path.of("target", "multilingual-download-test");
    private static final List<String> FILES = List.of("textual/model.onnx", "textual/tokenizer.json",
            "textual/config.json", "textual/tokenizer_config.json");
    private static final String PERSIAN = "ظرفیت این دستگاه چقدر است؟";
    static final Set<String> FETCHED = ConcurrentHashMap.newKeySet();

    /** The multilingual tower, to be downloaded into an empty folder. */
    public static class Multilingual implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("rag.model.text-tower", "multilingual",
                    "rag.model.text-dir", WORK.resolve("mclip-tiny").toString(),
                    "rag.model.download.enabled", "true");
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(Mirror.class));
        }
    }

    /** A mirror with the Hub's layout serving the fixture's files, and the pinned manifest listing them. */
    public static class Mirror implements QuarkusTestResourceLifecycleManager {
        private HttpServer server;

        @Override
        public Map<String, String> start() {
            try {
                TestFiles.deleteRecursively(WORK);
                Files.createDirectories(WORK);
                StringBuilder manifest = new StringBuilder("""
                        name\tmclip-tiny
                        repo\ttest/mclip-tiny
                        revision\t00000000000000000000000000000000000000aa
                        endpoint\thttps://huggingface.co
                        url\t{endpoint}/{repo}/resolve/{revision}/{path}
                        default_variant\tfp32
                        """);
                for (String file : FILES) {
                    Path source = FIXTURE.resolve(file);
                    manifest.append("file\tfp32\ttextual\t").append(file).append('\t').append(file).append('\t')
                            .append(Files.size(source)).append('\t').append(ContentHash.contentHash(source)).append('\n');
                }
                Files.writeString(WORK.resolve("pinned.manifest.tsv"), manifest);
                server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
                String prefix = "/test/mclip-tiny/resolve/00000000000000000000000000000000000000aa/";
                server.createContext("/", exchange -> {
                    String path = exchange.getRequestURI().getPath();
                    String file = path.startsWith(prefix) ? path.substring(prefix.length()) : "";
                    if (!FILES.contains(file)) {
                        exchange.sendResponseHeaders(404, -1);
                        exchange.close();
                        return;
                    }
                    FETCHED.add(file);
                    byte[] bytes = Files.readAllBytes(FIXTURE.resolve(file));
                    exchange.sendResponseHeaders(200, bytes.length);
                    try (OutputStream out = exchange.getResponseBody()) {
                        out.write(bytes);
                    }
                });
                server.start();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return Map.of("rag.model.download.base-url", "http://127.0.0.1:" + server.getAddress().getPort(),
                    "rag.model.download.text-manifest", WORK.resolve("pinned.manifest.tsv").toString());
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
    void theMissingTowerIsDownloadedOnceVerifiedAndServed() throws IOException {
        assertEquals(Set.copyOf(FILES), FETCHED);
        for (String file : FILES) {
            assertEquals(-1, Files.mismatch(FIXTURE.resolve(file), WORK.resolve("mclip-tiny").resolve(file)), file);
        }
        given().get("/q/health/ready").then().statusCode(200)
                .body("checks.find { it.name == 'clip-model' }.data.textTower", equalTo(true));
        given().get("/v1/models").then().statusCode(200).body("data.id", hasItem("mclip-tiny"));
    }

    @Test
    void aPersianQueryIsEmbeddedByTheMultilingualTowerAndScoredAgainstTheImages() throws IOException {
        List<Float> text = given().contentType(ContentType.JSON).body(Map.of("input", PERSIAN))
                .post("/v1/embeddings/text").then().statusCode(200)
                .body("textTower.name", equalTo("mclip-tiny"))
                .body("textTower.languages", equalTo("multilingual"))
                .body("$", not(hasKey("hint")))
                .extract().path("data[0].embedding");
        float[] reference = MclipTiny.unitEmbedding(PERSIAN);
        for (int i = 0; i < reference.length; i++) {
            assertEquals(reference[i], text.get(i), 1e-4, "dimension " + i);
        }

        List<Map<String, Object>> results = given().contentType(ContentType.JSON).body(Map.of("query", PERSIAN, "k", 3))
                .post("/v1/search/text").then().statusCode(200)
                .body("textTower.name", equalTo("mclip-tiny"))
                .body("$", not(hasKey("hint")))
                .body("results", hasSize(3))
                .extract().path("results");
        for (Map<String, Object> result : results) {
            String file = ((String) result.get("imagePath")).substring("image_database/".length());
            List<Float> image = given().multiPart("image", file, TestImages.knowledgeBaseImage(file))
                    .post("/v1/embeddings/image").then().statusCode(200).extract().path("embedding");
            double cosine = 0;
            for (int i = 0; i < image.size(); i++) {
                cosine += text.get(i) * image.get(i);
            }
            assertEquals(cosine, ((Number) result.get("score")).doubleValue(), 1e-4, file);
        }
        // The OpenAI-compatible endpoint serves the same tower under its name.
        List<Float> openAi = given().contentType(ContentType.JSON)
                .body(Map.of("model", "mclip-tiny", "input", List.of(PERSIAN))).post("/v1/embeddings").then()
                .statusCode(200).extract().path("data[0].embedding");
        assertTrue(openAi.size() == text.size());
        for (int i = 0; i < text.size(); i++) {
            assertEquals(text.get(i), openAi.get(i), 1e-6);
        }
    }
}
