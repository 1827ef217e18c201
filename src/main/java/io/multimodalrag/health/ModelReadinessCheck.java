package io.multimodalrag.health;

import io.multimodalrag.clip.ClipModel;
import io.multimodalrag.clip.ModelLoader;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/** UP once the CLIP model is loaded; DOWN with the reason while loading or after a failure. */
@Readiness
@ApplicationScoped
public class ModelReadinessCheck implements HealthCheck {

    private final ModelLoader models;

    public ModelReadinessCheck(ModelLoader models) {
        this.models = models;
    }

    @Override
    public HealthCheckResponse call() {
        ModelLoader.State state = models.state();
        HealthCheckResponseBuilder response = HealthCheckResponse.named("clip-model");
        if (state.model().isEmpty()) {
            return response.down().withData("status", state.status().name()).withData("summary", state.summary())
                    .withData("reason", state.reason()).build();
        }
        ClipModel model = state.model().get();
        return response.up()
                .withData("model", model.name())
                .withData("device", model.device().name().toLowerCase(java.util.Locale.ROOT))
                .withData("dimensions", model.dimensions())
                .withData("imageSize", model.imageSize())
                .withData("textTower", model.hasTextTower())
                .build();
    }
}
