package io.multimodalrag;

import io.multimodalrag.clip.LoadStatus;
import io.multimodalrag.clip.ModelLoader;
import io.multimodalrag.config.RagConfig;
import io.multimodalrag.search.KnowledgeBase;
import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Startup;
import org.jboss.logging.Logger;

/**
 * Loads the model, then the knowledge base, on a background thread, so that the HTTP server is up
 * at once: liveness answers immediately, readiness turns UP when both are loaded, and the startup
 * probe turns UP when loading has finished either way.
 *
 * <p>In dev mode a live reload restarts the application inside the request that found the change;
 * there loading runs before the restart completes, so that the request is answered by the reloaded
 * code instead of a 503 "still loading". It is cheap then: the embedding cache holds every vector.
 *
 * <p>It is also the startup probe's check: UP when loading has finished, even if it failed, since a failed model is
 * reported by readiness and restarting the pod would not fix it.
 */
@Startup
@ApplicationScoped
public class StartupSequence implements HealthCheck {

    private static final Logger LOG = Logger.getLogger(StartupSequence.class);

    /**
     * Set on the first start of the JVM. Dev mode restarts the application in a new class loader
     * but the same JVM, so statics are fresh while system properties survive.
     */
    private static final String STARTED_BEFORE = "io.multimodalrag.started-before";

    private final ModelLoader models;
    private final KnowledgeBase knowledgeBase;
    private final Duration retryInterval;
    private volatile boolean finished;
    private volatile Thread retry;

    public StartupSequence(ModelLoader models, KnowledgeBase knowledgeBase, RagConfig config) {
        this.models = models;
        this.knowledgeBase = knowledgeBase;
        this.retryInterval = config.knowledgeBase().retryInterval();
    }

    void onStart(@Observes StartupEvent event) {
        boolean restart = System.getProperties().putIfAbsent(STARTED_BEFORE, "true") != null;
        if (restart && LaunchMode.current() == LaunchMode.DEVELOPMENT) {
            run();
            return;
        }
        Thread loader = new Thread(this::run, "startup-loader");
        loader.setDaemon(true);
        loader.start();
    }

    private void run() {
        long started = System.nanoTime();
        try {
            models.load();
            knowledgeBase.load();
        } finally {
            finished = true;
            LOG.infof("start-up loading finished in %.2f s: model %s, knowledge base %s",
                    (System.nanoTime() - started) / 1e9, models.state().status(), knowledgeBase.state().status());
        }
        if (knowledgeBase.state().retryable()) {
            Thread retries = new Thread(this::retryKnowledgeBase, "knowledge-base-retry");
            retries.setDaemon(true);
            retry = retries;
            retries.start();
        }
    }

    /** Stops retrying with the application: a dev-mode restart starts a new instance over the same files. */
    void onStop(@Observes ShutdownEvent event) {
        Thread retries = retry;
        if (retries != null) {
            retries.interrupt();
        }
    }

    /**
     * Loads the knowledge base again every {@code rag.knowledge-base.retry-interval} while its file is absent,
     * unreadable or emptied by accident (a volume mounted late, a file being replaced), until a load succeeds, fails
     * for another reason, or someone reloads it; readiness says why meanwhile.
     */
    private void retryKnowledgeBase() {
        try {
            while (knowledgeBase.state().status() == LoadStatus.FAILED && knowledgeBase.state().retryable()) {
                int loadsBefore = knowledgeBase.loadCount();
                Thread.sleep(retryInterval.toMillis());
                if (knowledgeBase.loadCount() != loadsBefore) {
                    return; // someone reloaded meanwhile: the knowledge base is theirs now
                }
                LOG.infof("trying to load the knowledge base again (rag.knowledge-base.retry-interval)");
                knowledgeBase.load();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** UP once loading has finished, successfully or not. */
    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("start-up loading").status(finished).build();
    }
}
