package io.multimodalrag.health;

import io.multimodalrag.answer.AnswerService;
import io.smallrye.health.api.HealthGroup;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.URI;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;

/**
 * Whether /v1/ask can work: DOWN with the reason while no API key is configured. Deliberately not a
 * readiness check (it lives in the group {@code llm}, served at /q/health/group/llm): without an LLM
 * the service still searches, so Kubernetes must keep routing to it. The upstream is not called,
 * so the check costs nothing and spends no tokens.
 */
@HealthGroup("llm")
@ApplicationScoped
public class VisionLlmCheck implements HealthCheck {

    private final AnswerService answers;
    private final String url;

    public VisionLlmCheck(AnswerService answers,
            @ConfigProperty(name = "quarkus.rest-client.vision-llm.url", defaultValue = "") String url) {
        this.answers = answers;
        this.url = withoutUserInfo(url);
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named("vision-llm")
                .status(answers.configured())
                .withData("configured", answers.configured())
                .withData("model", answers.model())
                .withData("url", url);
        if (!answers.configured()) {
            response.withData("reason", "no API key: set RAG_LLM_API_KEY (rag.llm.api-key); /v1/ask answers 503 until then");
        }
        return response.build();
    }

    /** A URL may carry credentials (https://user:secret@host/v1); the health data never shows them. */
    private static String withoutUserInfo(String url) {
        try {
            URI uri = URI.create(url);
            if (uri.getRawUserInfo() == null) {
                return url;
            }
            return new URI(uri.getScheme(), null, uri.getHost(), uri.getPort(), uri.getPath(), null, null).toString();
        } catch (IllegalArgumentException | java.net.URISyntaxException e) {
            return "(not a valid URL)";
        }
    }
}
