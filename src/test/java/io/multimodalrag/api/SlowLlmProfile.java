package io.multimodalrag.api;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.List;
import java.util.Map;

/**
 * The service against {@link SlowStreamingLlm} (10 s per answer), with a total time of 2 s per question, and with
 * {@code rag.ask.require-match} on. The last is unrelated; they share one profile because each profile restarts the
 * application.
 */
public class SlowLlmProfile implements QuarkusTestProfile {

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("rag.ask.require-match", "true", "rag.llm.total-timeout", "2s");
    }

    @Override
    public List<TestResourceEntry> testResources() {
        return List.of(new TestResourceEntry(SlowStreamingLlm.class));
    }
}
