package io.multimodalrag.api;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import io.multimodalrag.testing.PostgresResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The postgresql store keeps the images, but an ask needs them only the first time: once its references' images are
 * prepared, the same ask is answered while the database is down, with the same images sent.
 */
@QuarkusTest
@TestProfile(AskWhileTheDatabaseIsDownTest.PostgresAndFakeLlm.class)
class AskWhileTheDatabaseIsDownTest {

    /** The fake LLM's settings, the postgresql store on a cluster of the test's own, the demo knowledge base in it. */
    public static class PostgresAndFakeLlm extends VisionLlmProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Map<String, String> overrides = new HashMap<>(super.getConfigOverrides());
            overrides.put("rag.knowledge-base.import-from", "description.jsonl");
            overrides.put("rag.knowledge-base.cache-dir", "target/pg-ask-cache");
            return overrides;
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(FakeVisionLlm.class), new TestResourceEntry(PostgresResource.class));
        }
    }

    @FakeVisionLlm.Server
    WireMockServer llm;

    @Test
    void anAskWhoseImagesArePreparedIsAnsweredWithoutTheDatabase() {
        org.junit.jupiter.api.Assumptions.assumeTrue(PostgresResource.server().ownCluster(),
                "stopping the database needs a cluster of the tests' own");
        ServiceReadiness.awaitStartupFinished();
        given().get("/q/health/ready").then().statusCode(200);
        llm.resetAll();
        llm.stubFor(FakeVisionLlm.chatCompletions()
                .willReturn(FakeVisionLlm.completion(VisionLlmProfile.MODEL, "A colour gradient.", 900, 12)));
        byte[] photo = TestImages.gradientPng(64, 48);

        AskResourceTest.ask(photo, "photo.png", "question", "What is shown?", "k", "3").statusCode(200);
        PostgresResource.server().stop();
        try {
            AskResourceTest.ask(photo, "photo.png", "question", "What is shown?", "k", "3").statusCode(200)
                    .body("sources.size()", org.hamcrest.Matchers.equalTo(3));
        } finally {
            PostgresResource.server().startCluster();
        }

        List<JsonNode> requests = FakeVisionLlm.requests(llm).stream().map(FakeVisionLlm::json).toList();
        assertEquals(2, requests.size());
        JsonNode parts = requests.get(1).path("messages").get(1).path("content");
        assertEquals(2 + 2 * 3 + 2, parts.size(), parts.toString());
        assertTrue(parts.get(3).path("image_url").path("url").asText().startsWith("data:image/"), parts.get(3).toString());
        assertEquals(requests.get(0), requests.get(1), "the same request, images included, without the database");
    }
}
