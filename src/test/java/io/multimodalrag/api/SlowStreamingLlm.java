package io.multimodalrag.api;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A chat-completions server that streams its answer slowly — {@link #CHUNKS} chunks, one every
 * {@link #INTERVAL_MS} ms — and records how far it got before the connection was closed on it.
 * WireMock cannot say when a client hangs up; this can: a write to a closed connection fails.
 */
public class SlowStreamingLlm implements QuarkusTestResourceLifecycleManager {

    static final int CHUNKS = 200;
    static final long INTERVAL_MS = 50;

    /** Chat-completion requests received. */
    static final AtomicInteger REQUESTS = new AtomicInteger();
    /** Chunks written, over all requests. */
    static final AtomicInteger CHUNKS_SENT = new AtomicInteger();
    /** Counted down when a write fails because the service closed the connection. */
    static volatile CountDownLatch closedByClient = new CountDownLatch(1);
    /** Counted down when a stream was written to its end. */
    static volatile CountDownLatch streamedToTheEnd = new CountDownLatch(1);

    private HttpServer server;
    private ExecutorService threads;

    @Override
    public Map<String, String> start() {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        threads = Executors.newCachedThreadPool();
        server.setExecutor(threads);
        server.createContext("/v1/chat/completions", this::stream);
        server.start();
        return Map.of("quarkus.rest-client.vision-llm.url", "http://127.0.0.1:" + server.getAddress().getPort() + "/v1",
                "rag.llm.api-key", FakeVisionLlm.API_KEY);
    }

    private void stream(HttpExchange exchange) throws IOException {
        exchange.getRequestBody().readAllBytes();
        REQUESTS.incrementAndGet();
        exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
        exchange.sendResponseHeaders(200, 0);
        try (OutputStream out = exchange.getResponseBody()) {
            for (int i = 0; i < CHUNKS; i++) {
                out.write(("data: " + FakeVisionLlm.chunk("slow-model", null, "tick ") + "\n\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
                CHUNKS_SENT.incrementAndGet();
                Thread.sleep(INTERVAL_MS);
            }
            out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
            streamedToTheEnd.countDown();
        } catch (IOException closed) {
            closedByClient.countDown();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void stop() {
        server.stop(0);
        threads.shutdownNow();
    }
}
