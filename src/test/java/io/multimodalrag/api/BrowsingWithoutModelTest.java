package io.multimodalrag.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * No model (offline, not downloaded yet): the service is not ready and cannot search or add, but the knowledge base is
 * listed, shown and edited from its catalogue, which needs no embedding.
 */
@QuarkusTest
@TestProfile(BrowsingWithoutModelTest.NoModel.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BrowsingWithoutModelTest {

    static final Path KB = Path.of("target", "browsing-without-model-test", "kb");
    static final String TOKEN = "browsing-without-model-admin-token";

    /** An empty model folder, downloads off, a writable copy of the demo knowledge base. */
    public static class NoModel implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("rag.model.dir", "target/no-model-here", "rag.model.download.enabled", "false",
                    "rag.knowledge-base.cache-dir", "target/browsing-without-model-test/cache",
                    "rag.admin.token", TOKEN);
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(DemoKnowledgeBaseCopy.class, Map.of("dir", KB.toString())));
        }
    }

    @BeforeEach
    void ready() {
        ServiceReadiness.awaitStartupFinished();
    }

    @Test
    @Order(1)
    void theKnowledgeBaseIsListedAndShownWithoutAModel() {
        given().get("/q/health/ready").then().statusCode(503)
                .body("checks.find { it.name == 'knowledge-base' }.data.entries", equalTo(29))
                .body("checks.find { it.name == 'knowledge-base' }.data.reason",
                        containsString("entries can be listed, viewed and edited meanwhile"));
        given().get("/v1/images?page=0&size=100").then().statusCode(200)
                .body("total", equalTo(29)).body("items", hasSize(29));
        given().get("/v1/images/chelsea-cat").then().statusCode(200)
                .body("imagePath", equalTo("image_database/chelsea-cat.jpg"));
        byte[] image = given().get("/v1/images/chelsea-cat/content").then().statusCode(200).contentType("image/jpeg")
                .extract().asByteArray();
        assertTrue(image.length > 1000);
        given().get("/v1/images/no-such-id").then().statusCode(404);
    }

    @Test
    @Order(2)
    void descriptionsAreEditedAndEntriesDeletedWithoutAModel() throws IOException {
        given().header("Authorization", "Bearer " + TOKEN).contentType(ContentType.JSON)
                .body(Map.of("description", "Chelsea, edited while no model was loaded"))
                .put("/v1/images/chelsea-cat/description").then().statusCode(200)
                .body("description", equalTo("Chelsea, edited while no model was loaded"));
        given().get("/v1/images/chelsea-cat").then().body("description", equalTo("Chelsea, edited while no model was loaded"));
        assertTrue(Files.readString(KB.resolve("description.jsonl")).contains("Chelsea, edited while no model was loaded"));

        given().header("Authorization", "Bearer " + TOKEN).delete("/v1/images/wall-clock").then().statusCode(200);
        given().get("/v1/images/wall-clock").then().statusCode(404);
        assertFalse(Files.readString(KB.resolve("description.jsonl")).contains("image_database/wall-clock.jpg"));
        given().get("/v1/images").then().body("total", equalTo(28));
    }

    @Test
    @Order(3)
    void searchingAndAddingWaitForTheModel() {
        byte[] cat = TestImages.knowledgeBaseImage("chelsea-cat.jpg");
        given().multiPart("image", "cat.jpg", cat).post("/v1/search").then().statusCode(503)
                .contentType(Problem.MEDIA_TYPE).body("title", equalTo("CLIP model not available"));
        given().header("Authorization", "Bearer " + TOKEN).multiPart("image", "photo.png", TestImages.gradientPng(40, 30))
                .multiPart("description", "a gradient").post("/v1/images").then().statusCode(503)
                .contentType(Problem.MEDIA_TYPE);
    }
}
