package io.multimodalrag.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.both;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.hamcrest.Matchers.not;

import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@QuarkusTest
class HealthTest {

    @BeforeEach
    void ready() {
        ServiceReadiness.awaitStartupFinished();
    }

    @Test
    void readyOnceModelAndKnowledgeBaseAreLoaded() {
        given().get("/q/health/ready").then().statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks.find { it.name == 'clip-model' }.data.model", equalTo("clip-tiny"))
                .body("checks.find { it.name == 'clip-model' }.data.device", equalTo("cpu"))
                .body("checks.find { it.name == 'clip-model' }.data.textTower", equalTo(true))
                .body("checks.find { it.name == 'knowledge-base' }.data.entries", equalTo(29))
                .body("checks.find { it.name == 'knowledge-base' }.data.skipped", equalTo(0))
                // all 29 on a first run, none once the embedding cache holds them
                .body("checks.find { it.name == 'knowledge-base' }.data.embedded",
                        both(greaterThanOrEqualTo(0)).and(lessThanOrEqualTo(29)))
                .body("checks.find { it.name == 'knowledge-base' }.data.source", containsString("description.jsonl at /"));
    }

    @Test
    void liveAndStarted() {
        given().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
        given().get("/q/health/started").then().statusCode(200)
                .body("checks.name", hasItem("start-up loading"));
    }

    @Test
    void openApiDescribesTheEndpoints() {
        given().queryParam("format", "json").get("/q/openapi").then().statusCode(200)
                .body("paths.'/v1/search'.post.summary", equalTo("Find the knowledge-base images most similar to an uploaded photo"))
                .body("paths.'/v1/search/text'.post.requestBody.content.'application/json'.schema.'$ref'",
                        equalTo("#/components/schemas/TextSearchRequest"))
                .body("components.schemas.TextSearchRequest.required", hasItem("query"))
                .body("paths.'/v1/embeddings/text'.post.summary", containsString("Embed one or more texts"))
                .body("paths.'/v1/search'.post.requestBody.content.'multipart/form-data'.schema.'$ref'",
                        equalTo("#/components/schemas/ImageSearchForm"))
                .body("components.schemas.ImageSearchForm.properties.image.format", equalTo("binary"))
                .body("components.schemas.ImageSearchForm.required", equalTo(java.util.List.of("image")))
                .body("paths.'/v1/ask'.post.requestBody.content.'multipart/form-data'.schema.'$ref'",
                        equalTo("#/components/schemas/AskForm"))
                .body("components.schemas.AskForm.required", hasItem("question"))
                .body("paths.'/v1/images'.post.requestBody.content.'multipart/form-data'.schema.'$ref'",
                        equalTo("#/components/schemas/NewImageForm"))
                .body("paths.'/v1/embeddings/image'.post.requestBody.content.'multipart/form-data'.schema.'$ref'",
                        equalTo("#/components/schemas/ImageEmbeddingForm"))
                .body("components.schemas", not(hasKey("MultipartForm")));
    }
}
