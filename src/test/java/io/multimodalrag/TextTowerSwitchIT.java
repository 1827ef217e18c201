package io.multimodalrag;

import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multimodalrag.testing.MclipTiny;
import io.multimodalrag.testing.PackagedService;
import io.multimodalrag.testing.TestFiles;
import io.restassured.http.ContentType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The English text tower swapped for the multilingual one (the fixture of tools/make_multilingual_text_tower.py) on
 * the same embedding cache, as an operator does it: the packaged service started twice. The second start embeds no
 * image; a Persian query is embedded by the multilingual tower (PyTorch's vector for that text) and its results are
 * scored against the image matrix the first start stored.
 */
class TextTowerSwitchIT {

    private static final Path DIR = Path.of("target", "text-tower-switch");
    private static final String PERSIAN = "موتورسیکلت قرمز";

    @Test
    void switchingTheTextTowerEmbedsNoImageAndAPersianQueryIsReadByTheNewOne() throws Exception {
        TestFiles.deleteRecursively(DIR.resolve("cache"));
        Map<String, String> english = Map.of("rag.knowledge-base.cache-dir", DIR.resolve("cache").toString());
        Map<String, float[]> images = new HashMap<>();
        float[] englishVector;
        try (PackagedService service = PackagedService.of("the English tower", DIR.resolve("english.log"), english)) {
            service.start();
            service.awaitReady();
            service.spec().get("/q/health/ready").then().statusCode(200)
                    .body("checks.find { it.name == 'knowledge-base' }.data.embedded", equalTo(29));
            service.spec().contentType(ContentType.JSON).body(Map.of("query", PERSIAN)).post("/v1/search/text").then()
                    .statusCode(200).body("textTower.name", equalTo("clip-tiny")).body("textTower.languages", equalTo("en"))
                    .body("$", hasKey("hint"));
            englishVector = textEmbedding(service, PERSIAN);
            for (String file : imageFiles()) {
                images.put("image_database/" + file, vector(service.spec()
                        .multiPart("image", file, Files.readAllBytes(Path.of("image_database", file)))
                        .post("/v1/embeddings/image").then().statusCode(200).extract().path("embedding")));
            }
        }

        Map<String, String> multilingual = new HashMap<>(english);
        multilingual.put("rag.model.text-tower", "multilingual");
        multilingual.put("rag.model.text-dir", MclipTiny.DIR.toString());
        try (PackagedService service = PackagedService.of("the multilingual tower", DIR.resolve("multilingual.log"),
                multilingual)) {
            service.start();
            service.awaitReady();
            service.spec().get("/q/health/ready").then().statusCode(200)
                    .body("checks.find { it.name == 'knowledge-base' }.data.entries", equalTo(29))
                    .body("checks.find { it.name == 'knowledge-base' }.data.embedded", equalTo(0));

            float[] query = textEmbedding(service, PERSIAN);
            assertArrayClose(MclipTiny.unitEmbedding(PERSIAN), query, 1e-4);
            assertTrue(dot(query, englishVector) < 0.99, "the same vector as the English tower's");

            List<Map<String, Object>> results = service.spec().contentType(ContentType.JSON)
                    .body(Map.of("query", PERSIAN, "k", 100)).post("/v1/search/text").then().statusCode(200)
                    .body("textTower.name", equalTo("mclip-tiny"))
                    .body("textTower.languages", equalTo("multilingual"))
                    .body("$", not(hasKey("hint")))
                    .body("results", hasSize(29))
                    .extract().path("results");
            double previous = Double.POSITIVE_INFINITY;
            for (Map<String, Object> result : results) {
                double score = ((Number) result.get("score")).doubleValue();
                float[] image = images.get((String) result.get("imagePath"));
                assertEquals(dot(query, image), score, 1e-4, result.get("id") + " scored against the stored matrix");
                assertTrue(score <= previous, "best first");
                previous = score;
            }
            // Images are searched as before.
            String file = imageFiles().get(0);
            service.spec().multiPart("image", file, Files.readAllBytes(Path.of("image_database", file))).multiPart("k", "1")
                    .post("/v1/search").then().statusCode(200).body("results[0].imagePath", equalTo("image_database/" + file));
        }
    }

    private static float[] textEmbedding(PackagedService service, String text) {
        return vector(service.spec().contentType(ContentType.JSON).body(Map.of("input", text)).post("/v1/embeddings/text")
                .then().statusCode(200).extract().path("data[0].embedding"));
    }

    private static List<String> imageFiles() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("image_database"))) {
            return files.map(file -> file.getFileName().toString()).filter(name -> name.matches(".*\\.(jpe?g|png|webp|gif|bmp)")).sorted().toList();
        }
    }

    private static float[] vector(List<? extends Number> values) {
        float[] vector = new float[values.size()];
        for (int i = 0; i < vector.length; i++) {
            vector[i] = values.get(i).floatValue();
        }
        return vector;
    }

    private static double dot(float[] a, float[] b) {
        assertEquals(a.length, b.length, "one space");
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += (double) a[i] * b[i];
        }
        return sum;
    }

    private static void assertArrayClose(float[] expected, float[] actual, double tolerance) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], tolerance, "dimension " + i);
        }
    }
}
