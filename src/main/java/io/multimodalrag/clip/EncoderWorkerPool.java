package io.multimodalrag.clip;

import io.multimodalrag.config.RagConfig;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The bounded pool on which images are decoded and preprocessed (and knowledge-base batches
 * embedded) and texts tokenized and embedded, so that the event loop never waits for CPU-heavy work;
 * single image requests are embedded by {@link ImageBatchQueue}'s inference thread. A full queue rejects new work at once (the API answers 503 with
 * Retry-After) instead of letting latency grow without bound.
 */
@ApplicationScoped
public class EncoderWorkerPool {

    private final ThreadPoolExecutor executor;

    public EncoderWorkerPool(RagConfig config) {
        int threads = config.encoder().workerThreads().orElse(Runtime.getRuntime().availableProcessors());
        AtomicInteger counter = new AtomicInteger();
        this.executor = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(Math.max(1, config.encoder().queueSize())), runnable -> {
                    Thread thread = new Thread(runnable, "clip-worker-" + counter.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                }, new ThreadPoolExecutor.AbortPolicy());
        executor.allowCoreThreadTimeOut(true);
    }

    /** The executor; {@code execute} throws {@link java.util.concurrent.RejectedExecutionException} when full. */
    public Executor executor() {
        return executor;
    }

    @PreDestroy
    void shutdown() {
        executor.shutdownNow();
    }
}
