package io.multimodalrag.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.not;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Without an API key /v1/ask says how to configure one, while search and readiness carry on. */
@QuarkusTest
@TestProfile(AskWithoutApiKeyTest.NoApiKey.class)
class AskWithoutApiKeyTest {

    /**
     * No key, even if the environment running the tests has one; and a URL where nothing listens,
     * so that a call made by mistake could reach no real API.
     */
    public static class NoApiKey implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("rag.llm.api-key", "", "quarkus.rest-client.vision-llm.url", "http://127.0.0.1:9/v1");
        }
    }

    @BeforeEach
    void ready() {
        ServiceReadiness.awaitStartupFinished();
    }

    @Test
    void askIsA503SayingHowToConfigureTheKey() {
        for (String accept : new String[] {"application/json", "text/event-stream"}) {
            AskResourceTest.askRequest(TestImages.knowledgeBaseImage("chelsea-cat.jpg"), "cat.jpg", "question", "Who is this?")
                    .accept(accept)
                    .when().post("/v1/ask").then()
                    .statusCode(503)
                    .contentType(Problem.MEDIA_TYPE)
                    .body("type", equalTo("urn:multimodal-rag:problem:llm-not-configured"))
                    .body("title", equalTo("Vision LLM not configured"))
                    .body("detail", containsString("vision LLM not configured"))
                    .body("detail", containsString("RAG_LLM_API_KEY"));
        }
    }

    @Test
    void theFormIsStillCheckedFirst() {
        AskResourceTest.ask(TestImages.knowledgeBaseImage("chelsea-cat.jpg"), "cat.jpg", "question", " ")
                .statusCode(400).body("detail", containsString("'question'"));
    }

    @Test
    void searchKeepsWorkingAndReadinessStaysUp() {
        given().multiPart("image", "cat.jpg", TestImages.knowledgeBaseImage("chelsea-cat.jpg")).when().post("/v1/search")
                .then().statusCode(200).body("results", hasSize(2)).body("results[0].id", equalTo("chelsea-cat"));
        given().get("/q/health/ready").then().statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks.name", not(hasItem("vision-llm")));
        given().get("/q/health/live").then().statusCode(200);
        given().get("/q/health").then().statusCode(200).body("status", equalTo("UP"));
    }

    @Test
    void theLlmHealthGroupIsDownWithTheReason() {
        given().get("/q/health/group/llm").then().statusCode(503)
                .body("status", equalTo("DOWN"))
                .body("checks[0].name", equalTo("vision-llm"))
                .body("checks[0].data.configured", equalTo(false))
                .body("checks[0].data.model", equalTo("gpt-4o"))
                .body("checks[0].data.reason", containsString("RAG_LLM_API_KEY"));
    }
}
