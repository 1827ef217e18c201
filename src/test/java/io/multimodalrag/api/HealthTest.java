package io.multimodalrag.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

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
                .body("checks.find { it.name == 'knowledge-base' }.data.skipped", equalTo(0));
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
                .body("paths.'/v1/embeddings/text'.post.summary", containsString("Embed one or more texts"));
    }
}
