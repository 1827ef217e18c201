package io.multimodalrag.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.quarkus.test.junit.QuarkusTest;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@QuarkusTest
class EmbeddingResourceTest {

    @BeforeEach
    void ready() {
        ServiceReadiness.awaitStartupFinished();
    }

    @Test
    void anImageEmbeddingIsUnitLengthWithTheModelsDimensions() {
        List<Float> embedding = given().multiPart("image", "cat.jpg", TestImages.knowledgeBaseImage("chelsea-cat.jpg"))
                .when().post("/v1/embeddings/image").then()
                .statusCode(200)
                .body("dimensions", equalTo(32))
                .body("embedding", hasSize(32))
                .body("model", equalTo("clip-tiny"))
                .extract().path("embedding");
        double norm = 0;
        for (float v : embedding) {
            norm += v * v;
        }
        assertEquals(1.0, Math.sqrt(norm), 1e-4);
    }

    @Test
    void theSameImageGivesTheSameEmbedding() {
        byte[] image = TestImages.knowledgeBaseImage("coffee-cup.jpg");
        List<Float> first = given().multiPart("image", "a.jpg", image).post("/v1/embeddings/image").path("embedding");
        List<Float> second = given().multiPart("image", "b.jpg", image).post("/v1/embeddings/image").path("embedding");
        assertEquals(first, second);
    }

    @Test
    void aNonImageIsA415() {
        given().multiPart("image", "a.jpg", "hello".getBytes()).when().post("/v1/embeddings/image").then()
                .statusCode(415).contentType(Problem.MEDIA_TYPE);
    }
}
