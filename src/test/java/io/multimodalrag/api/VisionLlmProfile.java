package io.multimodalrag.api;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.List;
import java.util.Map;

/**
 * The service against {@link FakeVisionLlm}: settings that differ from the defaults (so that tests
 * see them arrive upstream), a small image-max-side (so that the demo images get downscaled), a
 * short read timeout, fast retries and a short answer limit, and the REST client's request logging switched on (so that
 * a test can prove the key stays out of the logs even then).
 */
public class VisionLlmProfile implements QuarkusTestProfile {

    static final String MODEL = "fake-vision-1";
    static final int MAX_TOKENS = 123;
    static final int IMAGE_MAX_SIDE = 256;
    static final int MAX_ANSWER_LENGTH = 2000;

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.ofEntries(
                Map.entry("rag.llm.model", MODEL),
                Map.entry("rag.llm.max-tokens", String.valueOf(MAX_TOKENS)),
                Map.entry("rag.llm.temperature", "0.2"),
                Map.entry("rag.llm.image-max-side", String.valueOf(IMAGE_MAX_SIDE)),
                Map.entry("rag.llm.read-timeout", "1s"),
                Map.entry("rag.llm.max-answer-length", String.valueOf(MAX_ANSWER_LENGTH)),
                Map.entry("rag.llm.retry-backoff", "100ms"),
                Map.entry("rag.llm.retry-max-wait", "5s"),
                Map.entry("quarkus.rest-client.vision-llm.logging.scope", "request-response"),
                Map.entry("quarkus.rest-client.vision-llm.logging.body-limit", "200"),
                Map.entry("quarkus.log.category.\"org.jboss.resteasy.reactive.client.logging\".level", "DEBUG"));
    }

    @Override
    public List<TestResourceEntry> testResources() {
        return List.of(new TestResourceEntry(FakeVisionLlm.class));
    }
}
