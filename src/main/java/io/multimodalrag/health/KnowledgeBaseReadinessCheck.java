package io.multimodalrag.health;

import io.multimodalrag.clip.LoadStatus;
import io.multimodalrag.search.KnowledgeBase;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * UP once the knowledge base is embedded and searchable; reports its size, skipped lines and how many images its last
 * load had to embed (the rest were stored before), the reason while it is not (its file missing, say), and a warning
 * while embeddings cannot be written to the cache.
 */
@Readiness
@ApplicationScoped
public class KnowledgeBaseReadinessCheck implements HealthCheck {

    private final KnowledgeBase knowledgeBase;

    public KnowledgeBaseReadinessCheck(KnowledgeBase knowledgeBase) {
        this.knowledgeBase = knowledgeBase;
    }

    @Override
    public HealthCheckResponse call() {
        KnowledgeBase.State state = knowledgeBase.state();
        HealthCheckResponseBuilder response = HealthCheckResponse.named("knowledge-base")
                .status(state.status() == LoadStatus.READY)
                .withData("entries", knowledgeBase.snapshot().entries().size())
                .withData("skipped", state.skipped())
                .withData("embedded", state.embedded())
                .withData("store", knowledgeBase.storeKind())
                .withData("source", knowledgeBase.storeLocation());
        if (state.status() != LoadStatus.READY) {
            response.withData("reason", state.reason());
        }
        // UP all the same: the embedding cache only saves work at the next start, and a replica that lost its
        // database keeps serving what it has and catches up by itself.
        knowledgeBase.storeWarnings().forEach(response::withData);
        // UP as well: what is served is what was read last; the operator should look at the file.
        knowledgeBase.reloadWarning().ifPresent(warning -> response.withData("reload", warning));
        return response.build();
    }
}
