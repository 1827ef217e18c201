package io.multimodalrag.api;

import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** With rag.ask.require-match on, a photo without a match is refused with 404 and the LLM is not called. */
@QuarkusTest
@TestProfile(SlowLlmProfile.class)
class AskRequireMatchTest {

    @BeforeEach
    void ready() {
        ServiceReadiness.awaitStartupFinished();
    }

    @Test
    void noMatchIsA404WithoutCallingTheLlm() {
        int requestsBefore = SlowStreamingLlm.REQUESTS.get();
        AskResourceTest.ask(TestImages.gradientPng(64, 48), "photo.png", "question", "What is shown?", "minScore", "1")
                .statusCode(404)
                .contentType(Problem.MEDIA_TYPE)
                .body("type", equalTo("urn:multimodal-rag:problem:no-match"))
                .body("detail", containsString("minScore 1.0"))
                .body("detail", containsString("rag.ask.require-match"));

        String body = AskResourceTest.askRequest(TestImages.gradientPng(64, 48), "photo.png", "question", "What is shown?",
                        "minScore", "1")
                .accept("text/event-stream")
                .when().post("/v1/ask").then()
                .statusCode(200).contentType(startsWith("text/event-stream"))
                .extract().asString();
        JsonNode problem = SseEvents.onlyErrorProblem(body);
        assertEquals(404, problem.path("status").asInt());
        assertEquals(requestsBefore, SlowStreamingLlm.REQUESTS.get());
    }
}
