package io.multimodalrag.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.not;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A model folder with a vision tower only: text endpoints answer 503 saying why, image endpoints work. */
@QuarkusTest
@TestProfile(TextTowerMissingTest.VisionOnly.class)
class TextTowerMissingTest {

    /** The tiny vision-only model, with its own embedding cache. */
    public static class VisionOnly implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("rag.model.dir", "src/test/resources/clip-tiny-plain",
                    "rag.knowledge-base.cache-dir", "target/test-embedding-cache-plain");
        }
    }

    @BeforeEach
    void ready() {
        ServiceReadiness.awaitStartupFinished();
    }

    @Test
    void textEndpointsAnswer503SayingTheFolderHasNoTextTower() {
        Map<String, String> search = Map.of("query", "battery generator");
        Map<String, String> embed = Map.of("input", "battery generator");
        for (Map.Entry<String, Map<String, String>> call : Map.of("/v1/search/text", search, "/v1/embeddings/text", embed)
                .entrySet()) {
            given().contentType(ContentType.JSON).body(call.getValue()).when().post(call.getKey()).then()
                    .statusCode(503)
                    .contentType(Problem.MEDIA_TYPE)
                    .body("type", equalTo("urn:multimodal-rag:problem:model-unavailable"))
                    .body("detail", containsString("no text tower (text_model.onnx)"))
                    .body("detail", containsString("onnx-models/download.sh"))
                    .body("detail", not(containsString("Exception")));
        }
    }

    @Test
    void imageEndpointsAndReadinessAreUnaffected() {
        given().multiPart("image", "cat.jpg", TestImages.knowledgeBaseImage("chelsea-cat.jpg")).when().post("/v1/search")
                .then().statusCode(200)
                .body("results", hasSize(2))
                .body("results[0].id", equalTo("chelsea-cat"))
                .body("model", equalTo("clip-tiny-plain"));
        given().get("/q/health/ready").then().statusCode(200)
                .body("checks.find { it.name == 'clip-model' }.data.textTower", equalTo(false));
    }

    @Test
    void badTextRequestsAreStill400() {
        given().contentType(ContentType.JSON).body("{\"query\": \"\"}").when().post("/v1/search/text").then()
                .statusCode(400).contentType(Problem.MEDIA_TYPE);
    }
}
