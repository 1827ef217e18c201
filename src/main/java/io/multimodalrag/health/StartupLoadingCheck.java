package io.multimodalrag.health;

import io.multimodalrag.StartupSequence;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Startup;

/**
 * UP when start-up loading (model download, model, knowledge-base embedding) has finished, even if
 * it failed: a failed model is reported by readiness, and restarting the pod would not fix it.
 */
@Startup
@ApplicationScoped
public class StartupLoadingCheck implements HealthCheck {

    private final StartupSequence startup;

    public StartupLoadingCheck(StartupSequence startup) {
        this.startup = startup;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("start-up loading").status(startup.finished()).build();
    }
}
