package io.multimodalrag.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Without a model the service still starts, says why it is not ready, and answers 503 on model endpoints. */
@QuarkusTest
@TestProfile(ModelMissingTest.NoModel.class)
class ModelMissingTest {

    /** Points the service at an empty folder, with downloads off. */
    public static class NoModel implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("rag.model.dir", "target/no-model-here", "rag.model.download.enabled", "false");
        }
    }

    @BeforeEach
    void ready() {
        ServiceReadiness.awaitStartupFinished();
    }

    @Test
    void readinessIsDownWithTheReasonWhileLivenessIsUp() {
        given().get("/q/health/ready").then().statusCode(503)
                .body("status", equalTo("DOWN"))
                .body("checks.find { it.name == 'clip-model' }.data.reason", containsString("download.sh"))
                // offline: the way out is in the reason, and in a few words in the summary the page shows
                .body("checks.find { it.name == 'clip-model' }.data.reason",
                        containsString("start with -Drag.model.dir=src/test/resources/clip-tiny (RAG_MODEL_DIR)"))
                .body("checks.find { it.name == 'clip-model' }.data.summary",
                        equalTo("no CLIP model in target/no-model-here (offline? see the README's first lines)"));
        given().get("/q/health/live").then().statusCode(200);
        given().get("/q/health/started").then().statusCode(200);
    }

    @Test
    void modelEndpointsAnswer503SayingHowToGetTheModel() {
        byte[] image = TestImages.knowledgeBaseImage("chelsea-cat.jpg");
        for (String path : new String[] {"/v1/search", "/v1/embeddings/image"}) {
            given().multiPart("image", "cat.jpg", image).when().post(path).then()
                    .statusCode(503)
                    .contentType(Problem.MEDIA_TYPE)
                    .header("Retry-After", equalTo("30"))
                    .body("title", equalTo("CLIP model not available"))
                    .body("detail", containsString("onnx-models/download.sh"))
                    .body("detail", containsString("-Drag.model.dir=src/test/resources/clip-tiny"))
                    .body("detail", not(containsString("Exception")));
        }
        for (String path : new String[] {"/v1/search/text", "/v1/embeddings/text"}) {
            given().contentType(ContentType.JSON).body("{\"query\": \"a cat\", \"input\": \"a cat\"}").when().post(path)
                    .then()
                    .statusCode(503)
                    .contentType(Problem.MEDIA_TYPE)
                    .body("detail", containsString("onnx-models/download.sh"));
        }
    }

    @Test
    void theKnowledgeBaseIsStillListed() {
        given().get("/v1/images").then().statusCode(200).body("total", equalTo(29));
    }
}
