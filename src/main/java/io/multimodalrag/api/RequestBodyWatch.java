package io.multimodalrag.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.multimodalrag.config.RagConfig;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * Keeps every request body within bounds while it arrives: the bytes it holds count against a memory budget as they
 * arrive (photo uploads against {@code rag.upload.max-buffered}, JSON and other bodies against
 * {@code rag.text.max-buffered}), never as declared, so a client that announces a large body and sends nothing holds
 * nothing; and a body must keep an average rate ({@code rag.upload.body-timeout}, {@code rag.upload.min-rate}), so
 * that none holds its bytes, its connection or a place in the budget by trickling. A body over either gets its problem
 * (503 or 408) and its connection closed, as does one sent without a length once it passes its size limit (413);
 * what it held is released when its exchange ends, as is every body's.
 *
 * <p>Each body is looked at every {@value #TICK_MS} ms on its own event loop ({@link HttpServerRequest#bytesRead()})
 * until it has arrived, and once more, whole, when the REST layer reads it ({@link #holdWhole}), so that a body that
 * arrives between two looks is counted before any work is spent on it.
 */
@ApplicationScoped
public class RequestBodyWatch {

    private static final Logger LOG = Logger.getLogger(RequestBodyWatch.class);

    static final long TICK_MS = 100;
    private static final String KEY = RequestBodyWatch.class.getName();

    /** One memory budget: bytes held by the bodies of one kind, from their first byte until their answers are sent. */
    static final class Budget {
        private final long max;
        private final AtomicLong held = new AtomicLong();
        private final String busy;
        private final String busyJson;
        private final Runnable refused;

        /** @param refused told of each body refused because the budget was spent */
        Budget(long max, String busy, ObjectMapper json, Runnable refused) throws JsonProcessingException {
            this.max = max;
            this.refused = refused;
            this.busy = busy;
            this.busyJson = json.writeValueAsString(ApiException.busy(busy).problem());
        }

        long held() {
            return held.get();
        }

        private boolean take(long bytes) {
            if (held.addAndGet(bytes) > max) {
                held.addAndGet(-bytes);
                refused.run();
                return false;
            }
            return true;
        }

        private void give(long bytes) {
            held.addAndGet(-bytes);
        }
    }

    private final Budget uploads;
    private final Budget texts;
    private final long timeoutMs;
    private final long minRate;
    private final String slowJson;

    public RequestBodyWatch(RagConfig config, ObjectMapper json, MeterRegistry registry) throws JsonProcessingException {
        Counter uploadsRefused = Counter.builder("rag.upload.rejections")
                .description("Uploads refused with 503 because rag.upload.max-buffered was reached").register(registry);
        this.uploads = new Budget(config.upload().maxBuffered().asLongValue(),
                "too many uploads are being received at once (rag.upload.max-buffered); retry shortly", json,
                uploadsRefused::increment);
        this.texts = new Budget(config.text().maxBuffered().asLongValue(),
                "too many requests are being received at once (rag.text.max-buffered); retry shortly", json, () -> { });
        this.timeoutMs = config.upload().bodyTimeout().toMillis();
        this.minRate = Math.max(1, config.upload().minRate().asLongValue());
        this.slowJson = json.writeValueAsString(ApiException.bodyTooSlow("the request body arrived too slowly: it may"
                + " take " + config.upload().bodyTimeout().toSeconds() + " s (rag.upload.body-timeout) plus one second"
                + " for every " + minRate + " bytes (rag.upload.min-rate)").problem());
        Gauge.builder("rag.upload.buffered", uploads.held, AtomicLong::get).baseUnit("bytes")
                .description("Bytes of upload bodies held, as they arrive and until their answer is sent")
                .register(registry);
        Gauge.builder("rag.upload.buffered.limit", uploads, budget -> budget.max).baseUnit("bytes")
                .description("The most bytes of upload bodies held at once (rag.upload.max-buffered)").register(registry);
        Gauge.builder("rag.request.json.buffered", texts.held, AtomicLong::get).baseUnit("bytes")
                .description("Bytes of JSON request bodies held, as they arrive and until their answer is sent")
                .register(registry);
    }

    /** The budget of photo uploads. */
    Budget uploads() {
        return uploads;
    }

    /** The budget of JSON and other bodies. */
    Budget texts() {
        return texts;
    }

    /**
     * Starts watching the body of the request in {@code context}, if it has one; called on its event loop before the
     * REST layer reads it.
     */
    void watch(RoutingContext context, boolean upload, long maxBytes, String tooLargeJson) {
        HttpServerRequest request = context.request();
        if (request.isEnded() || !hasBody(request)) {
            return;
        }
        Watch watch = new Watch(context, upload ? uploads : texts, maxBytes, tooLargeJson);
        context.put(KEY, watch);
        context.addEndHandler(ended -> watch.release());
        watch.timer = context.vertx().setPeriodic(TICK_MS, id -> watch.tick());
    }

    /**
     * Counts a body that the REST layer has read whole ({@code bytes} long) against its budget, beyond what was
     * counted while it arrived.
     *
     * @throws ApiException a 503 with Retry-After when it does not fit
     */
    void holdWhole(RoutingContext context, long bytes, boolean upload) {
        Budget budget = upload ? uploads : texts;
        Watch watch = context == null ? null : context.get(KEY);
        if (watch != null) {
            if (!watch.holdAtLeast(bytes)) {
                throw ApiException.busy(budget.busy);
            }
            return;
        }
        // A body that had arrived whole before the route handler ran (or, with no exchange, nothing to hold it for):
        // held until the exchange ends all the same.
        if (!budget.take(bytes)) {
            throw ApiException.busy(budget.busy);
        }
        if (context != null) {
            context.addEndHandler(ended -> budget.give(bytes));
        } else {
            budget.give(bytes);
        }
    }

    private static boolean hasBody(HttpServerRequest request) {
        String length = request.getHeader("Content-Length");
        if (length != null) {
            return MultipartBodies.declaredLength(length) != 0;
        }
        // HTTP/2 frames a body without either header; the stream is still open while one may come.
        return request.getHeader("Transfer-Encoding") != null || request.version() == HttpVersion.HTTP_2;
    }

    /** One body being received; confined to its request's event loop but for {@link #holdAtLeast}. */
    private final class Watch {
        private final RoutingContext context;
        private final Budget budget;
        private final long maxBytes;
        private final String tooLargeJson;
        private final long started = System.nanoTime();
        private long held;
        private long timer = -1;
        private boolean released;

        Watch(RoutingContext context, Budget budget, long maxBytes, String tooLargeJson) {
            this.context = context;
            this.budget = budget;
            this.maxBytes = maxBytes;
            this.tooLargeJson = tooLargeJson;
        }

        void tick() {
            HttpServerRequest request = context.request();
            if (context.response().ended()) {
                stop();
                return;
            }
            long arrived = request.bytesRead();
            if (arrived > maxBytes) {
                refuse(413, tooLargeJson, null); // a body without a Content-Length, past its limit
                return;
            }
            if (!holdAtLeast(arrived)) {
                refuse(503, budget.busyJson, "1");
                return;
            }
            if (request.isEnded()) {
                stop();
                return;
            }
            long allowedMs = timeoutMs + arrived * 1000 / minRate;
            if ((System.nanoTime() - started) / 1_000_000 > allowedMs) {
                LOG.debugf("closing %s %s: %d bytes of its body in %d ms", request.method(), request.path(), arrived,
                        (System.nanoTime() - started) / 1_000_000);
                refuse(408, slowJson, null);
            }
        }

        synchronized boolean holdAtLeast(long bytes) {
            if (released || bytes <= held) {
                return true;
            }
            if (!budget.take(bytes - held)) {
                return false;
            }
            held = bytes;
            return true;
        }

        synchronized void release() {
            stop();
            if (!released) {
                released = true;
                budget.give(held);
            }
        }

        private void stop() {
            if (timer >= 0) {
                context.vertx().cancelTimer(timer);
                timer = -1;
            }
        }

        private void refuse(int status, String problem, String retryAfter) {
            stop();
            refuseAndClose(context, status, problem, retryAfter);
        }
    }

    /**
     * Answers with a problem and closes the connection (HTTP/1) or resets the stream (HTTP/2): the rest of the body is
     * never read, and a client still sending it learns at once.
     */
    static void refuseAndClose(RoutingContext context, int status, String problem, String retryAfter) {
        HttpServerRequest request = context.request();
        HttpServerResponse response = context.response();
        boolean http2 = request.version() == HttpVersion.HTTP_2;
        if (response.headWritten()) {
            closeOrReset(request, response, http2);
            return;
        }
        response.setStatusCode(status).putHeader("Content-Type", Problem.MEDIA_TYPE);
        if (retryAfter != null) {
            response.putHeader("Retry-After", retryAfter);
        }
        if (!http2) {
            response.putHeader("Connection", "close");
        }
        response.end(problem).onComplete(done -> closeOrReset(request, response, http2));
    }

    /** Stops the rest of a body: HTTP/2 resets the stream alone, HTTP/1 has only the connection to close. */
    private static void closeOrReset(HttpServerRequest request, HttpServerResponse response, boolean http2) {
        if (http2) {
            response.reset();
        } else {
            request.connection().close();
        }
    }
}
