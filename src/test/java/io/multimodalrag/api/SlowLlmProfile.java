package io.multimodalrag.api;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.List;
import java.util.Map;

/**
 * The service against {@link SlowStreamingLlm}, with {@code rag.ask.require-match} on. The two are
 * unrelated; they share one profile because each profile restarts the application.
 */
public class SlowLlmProfile implements QuarkusTestProfile {

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("rag.ask.require-match", "true");
    }

    @Override
    public List<TestResourceEntry> testResources() {
        return List.of(new TestResourceEntry(SlowStreamingLlm.class));
    }
}
