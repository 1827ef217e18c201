package io.multimodalrag.answer;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * What an ask tells the operator: a span for the prompt's building and one for the LLM call (model, token counts,
 * outcome, in the ask's trace), and the metrics {@code rag.ask.outcomes} (by outcome), {@code rag.llm.latency},
 * {@code rag.llm.first.token}, {@code rag.llm.tokens} (by direction) and {@code rag.llm.retries} (by failure kind).
 */
final class AskTelemetry {

    /** Outcomes of an ask that are not an upstream failure's kind. */
    static final String ANSWERED = "answered";
    static final String NO_MATCH = "no_match";
    static final String REJECTED = "rejected";
    static final String CANCELLED = "cancelled";
    static final String ERROR = "error";

    private final Tracer tracer;
    private final MeterRegistry registry;
    private final String model;
    private final Timer latency;
    private final Timer firstToken;
    private final Counter tokensIn;
    private final Counter tokensOut;

    AskTelemetry(Tracer tracer, MeterRegistry registry, String model) {
        this.tracer = tracer;
        this.registry = registry;
        this.model = model;
        // Histograms, so that a dashboard can show quantiles across replicas.
        this.latency = Timer.builder("rag.llm.latency").publishPercentileHistogram()
                .description("One call to the vision LLM, retries included, until its whole answer").register(registry);
        this.firstToken = Timer.builder("rag.llm.first.token").publishPercentileHistogram()
                .description("From a streamed call's start to the first piece of the answer").register(registry);
        this.tokensIn = Counter.builder("rag.llm.tokens").tag("direction", "in")
                .description("Tokens the vision LLM billed, prompt (in) and answer (out)").register(registry);
        this.tokensOut = Counter.builder("rag.llm.tokens").tag("direction", "out")
                .description("Tokens the vision LLM billed, prompt (in) and answer (out)").register(registry);
        // Every outcome from the start, at zero, so that dashboards and alerts see the series before the first ask.
        for (String outcome : outcomes()) {
            outcomeCounter(outcome);
        }
        for (UpstreamException.Kind kind : UpstreamException.Kind.values()) {
            retryCounter(kind);
        }
    }

    /** Every value the {@code outcome} tag of {@code rag.ask.outcomes} takes. */
    static List<String> outcomes() {
        List<String> all = new ArrayList<>(List.of(ANSWERED, NO_MATCH, REJECTED, CANCELLED,
                ERROR));
        for (UpstreamException.Kind kind : UpstreamException.Kind.values()) {
            all.add(kind.name().toLowerCase(Locale.ROOT));
        }
        return all;
    }

    private Counter outcomeCounter(String outcome) {
        return Counter.builder("rag.ask.outcomes").tag("outcome", outcome)
                .description("Questions asked, by how they ended").register(registry);
    }

    private Counter retryCounter(UpstreamException.Kind kind) {
        return Counter.builder("rag.llm.retries").tag("kind", kind.name().toLowerCase(Locale.ROOT))
                .description("Calls to the vision LLM made again after a failure, by its kind").register(registry);
    }

    /** Counts a retry of a call that failed with {@code failure}. */
    void retried(UpstreamException failure) {
        retryCounter(failure.kind()).increment();
    }

    /** Counts how an ask ended: answered ({@code failure} null), or failed. */
    void ended(Throwable failure) {
        outcomeCounter(failure == null ? ANSWERED : outcomeOf(failure)).increment();
    }

    void cancelled() {
        outcomeCounter(CANCELLED).increment();
    }

    static String outcomeOf(Throwable failure) {
        if (failure instanceof UpstreamException upstream) {
            return upstream.kind().name().toLowerCase(Locale.ROOT);
        }
        if (failure instanceof NoReferenceFoundException) {
            return NO_MATCH;
        }
        if (failure instanceof io.multimodalrag.image.ImageDecodingException
                || failure instanceof IllegalArgumentException) {
            return REJECTED;
        }
        return ERROR;
    }

    /** Runs {@code build} in a span of {@code trace}. */
    <T> T promptBuilt(Context trace, int images, Supplier<T> build) {
        Span span = tracer.spanBuilder("rag.prompt.build").setParent(trace).setAttribute("rag.prompt.images", images)
                .startSpan();
        try {
            return build.get();
        } finally {
            span.end();
        }
    }

    /** {@code call} (one completion, retries included) timed and traced in {@code trace}. */
    Uni<ChatCompletionResponse> call(Context trace, Supplier<Uni<ChatCompletionResponse>> call) {
        return Uni.createFrom().deferred(() -> {
            Span span = llmSpan(trace, false);
            Timer.Sample sample = Timer.start(registry);
            return call.get()
                    .onItem().invoke(response -> {
                        sample.stop(latency);
                        finish(span, response == null ? null : response.model(), response == null ? null : response.usage());
                    })
                    .onFailure().invoke(failure -> {
                        sample.stop(latency);
                        fail(span, failure);
                    })
                    .onCancellation().invoke(() -> cancel(span));
        });
    }

    /**
     * A streamed call, traced and timed to its first piece; the span stays open until {@link StreamSpan#answered},
     * {@link StreamSpan#failed} (which the caller tells, once the answer is whole or not) or a cancellation.
     */
    <T> Multi<T> stream(StreamSpan span, Supplier<Multi<T>> call) {
        return Multi.createFrom().deferred(() -> {
            span.start();
            AtomicBoolean first = new AtomicBoolean(true);
            return call.get()
                    .onItem().invoke(item -> {
                        if (first.compareAndSet(true, false)) {
                            firstToken.record(System.nanoTime() - span.startedNanos, TimeUnit.NANOSECONDS);
                        }
                    })
                    .onCancellation().invoke(span::cancelled);
        });
    }

    /** The span of one streamed call, opened when the stream is subscribed to. */
    StreamSpan streamSpan(Context trace) {
        return new StreamSpan(trace);
    }

    final class StreamSpan {
        private final Context trace;
        private final AtomicBoolean open = new AtomicBoolean();
        private volatile Span span;
        private volatile long startedNanos;

        private StreamSpan(Context trace) {
            this.trace = trace;
        }

        private void start() {
            span = llmSpan(trace, true);
            startedNanos = System.nanoTime();
            open.set(true);
        }

        void answered(Answer answer) {
            if (open.compareAndSet(true, false)) {
                latency.record(System.nanoTime() - startedNanos, TimeUnit.NANOSECONDS);
                finish(span, answer.model(), answer.usage());
            }
        }

        void failed(Throwable failure) {
            if (open.compareAndSet(true, false)) {
                latency.record(System.nanoTime() - startedNanos, TimeUnit.NANOSECONDS);
                fail(span, failure);
            }
        }

        void cancelled() {
            if (open.compareAndSet(true, false)) {
                cancel(span);
            }
        }
    }

    private Span llmSpan(Context trace, boolean streaming) {
        return tracer.spanBuilder("rag.llm.call").setParent(trace)
                .setAttribute("gen_ai.operation.name", "chat")
                .setAttribute("gen_ai.request.model", model)
                .setAttribute("rag.llm.streaming", streaming)
                .startSpan();
    }

    private void finish(Span span, String responseModel, ChatCompletionUsage usage) {
        if (responseModel != null) {
            span.setAttribute("gen_ai.response.model", responseModel);
        }
        if (usage != null) {
            if (usage.promptTokens() != null) {
                span.setAttribute("gen_ai.usage.input_tokens", usage.promptTokens());
                tokensIn.increment(usage.promptTokens());
            }
            if (usage.completionTokens() != null) {
                span.setAttribute("gen_ai.usage.output_tokens", usage.completionTokens());
                tokensOut.increment(usage.completionTokens());
            }
        }
        span.setAttribute("rag.llm.outcome", ANSWERED);
        span.end();
    }

    private static void fail(Span span, Throwable failure) {
        String outcome = outcomeOf(failure);
        span.setAttribute("rag.llm.outcome", outcome);
        span.setAttribute("error.type", outcome);
        if (failure instanceof UpstreamException upstream) {
            upstream.upstreamStatus().ifPresent(status -> span.setAttribute("http.response.status_code", status));
        }
        span.setStatus(StatusCode.ERROR, outcome);
        span.end();
    }

    private static void cancel(Span span) {
        span.setAttribute("rag.llm.outcome", CANCELLED);
        span.end();
    }
}
