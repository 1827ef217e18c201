package io.multimodalrag.answer;

import io.micrometer.core.instrument.MeterRegistry;
import io.multimodalrag.config.RagConfig;
import io.multimodalrag.image.ImageDecoder;
import io.multimodalrag.search.KnowledgeBase;
import io.multimodalrag.search.SearchHit;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.quarkus.runtime.Startup;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.smallrye.mutiny.subscription.Cancellable;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.microprofile.rest.client.inject.RestClient;
import org.jboss.logging.Logger;

/**
 * Answers a question about a photo: the references ({@link Retrieval}), the images ({@link PromptImages}), the
 * grounded request ({@link PromptBuilder}), the call, retried ({@link VisionLlmCalls}), and the answer, whole or as it
 * streams ({@link StreamedAnswer}), all within {@code rag.llm.total-timeout}. Never blocks the caller: images are
 * read and encoded on the worker pool, the LLM is called without blocking.
 */
@ApplicationScoped
@Startup // its metrics exist, at zero, before the first question: dashboards and alerts see them from the start
public class AnswerService {

    private static final Logger LOG = Logger.getLogger(AnswerService.class);

    private final KnowledgeBase knowledgeBase;
    private final Retrieval retrieval;
    private final PromptImages images;
    private final PromptBuilder prompts;
    private final VisionLlmCalls calls;
    private final AskTelemetry telemetry;
    private final Optional<String> apiKey;
    private final String configuredModel;
    private final Duration totalTimeout;
    private final int maxAnswerLength;

    public AnswerService(@RestClient VisionChatClient client, KnowledgeBase knowledgeBase, RagConfig config,
            Tracer tracer, MeterRegistry registry) {
        RagConfig.Llm llm = config.llm();
        if (llm.imageMaxSide() < 16) {
            throw new IllegalArgumentException("rag.llm.image-max-side must be at least 16 pixels but was "
                    + llm.imageMaxSide() + "; the default is 1024");
        }
        this.knowledgeBase = knowledgeBase;
        this.retrieval = new Retrieval(knowledgeBase, config.ask().requireMatch());
        this.images = new PromptImages(knowledgeBase::imageBytes, new ImageDecoder(config.image().maxPixels()),
                llm.imageMaxSide(), llm.promptImageCacheSize().asLongValue(), Infrastructure.getDefaultWorkerPool());
        this.prompts = new PromptBuilder(llm.model(), llm.systemPrompt().orElse(PromptBuilder.DEFAULT_SYSTEM_PROMPT),
                llm.maxTokensField(), llm.maxTokens(), llm.temperature());
        this.apiKey = llm.apiKey().map(String::strip).filter(key -> !key.isEmpty());
        this.telemetry = new AskTelemetry(tracer, registry, llm.model());
        this.calls = new VisionLlmCalls(client, new RetryPolicy(Math.max(0, llm.maxRetries()), llm.retryBackoff(),
                llm.retryMaxWait(), () -> ThreadLocalRandom.current().nextDouble()), apiKey, llm.connectTimeout(),
                llm.readTimeout(), telemetry::retried);
        this.configuredModel = llm.model();
        this.totalTimeout = llm.totalTimeout();
        this.maxAnswerLength = llm.maxAnswerLength();
    }

    /**
     * A question about an uploaded photo.
     *
     * @param photo    the uploaded photo's bytes
     * @param text     the question, already validated
     * @param k        how many references to retrieve
     * @param minScore the lowest similarity a reference may have
     */
    public record Question(byte[] photo, String text, int k, float minScore) {
    }

    /** Whether an API key is configured; without one every question fails at once. */
    public boolean configured() {
        return apiKey.isPresent();
    }

    /** The model named in requests. */
    public String model() {
        return configuredModel;
    }

    /**
     * Fails fast, before any work, when the LLM cannot be asked, or there is no knowledge base to ground it in.
     *
     * @throws VisionLlmNotConfiguredException without an API key
     * @throws io.multimodalrag.search.KnowledgeBaseUnavailableException while the knowledge base is not loaded
     */
    public void requireConfigured() {
        if (apiKey.isEmpty()) {
            throw new VisionLlmNotConfiguredException();
        }
        knowledgeBase.requireLoaded();
    }

    /** The whole answer at once, within {@code rag.llm.total-timeout}. */
    public Uni<Answer> ask(Question question) {
        requireConfigured();
        long started = System.nanoTime();
        Context trace = Context.current(); // the work moves to pools that do not carry the request's context
        return prepare(trace, question).chain(prepared -> telemetry.call(trace, () -> calls.complete(prepared.request()))
                .map(response -> toAnswer(prepared, response, started)))
                // Cancels whatever is under way (the upstream call, a wait before a retry) when the time is up.
                .ifNoItem().after(totalTimeout).failWith(() -> calls.failed(UpstreamException.totalTimeout(totalTimeout), 1))
                .onItemOrFailure().invoke((answer, failure) -> telemetry.ended(failure))
                .onCancellation().invoke(telemetry::cancelled);
    }

    /**
     * The answer as it is written: a {@link AnswerEvent.TextDelta} per piece of text, then one
     * {@link AnswerEvent.Completed} once the upstream has said the answer is complete. A stream cut off before that,
     * one longer than {@code rag.llm.max-answer-length}, or one still running at {@code rag.llm.total-timeout} fails
     * after the pieces already passed on. Cancelling the subscription cancels the upstream call.
     */
    public Multi<AnswerEvent> askStreaming(Question question) {
        requireConfigured();
        long started = System.nanoTime();
        Context trace = Context.current();
        return prepare(trace, question)
                .ifNoItem().after(totalTimeout).failWith(() -> calls.failed(UpstreamException.totalTimeout(totalTimeout), 1))
                .onItem().transformToMulti(prepared -> {
                    StreamedAnswer answer = new StreamedAnswer(calls, maxAnswerLength);
                    AtomicBoolean timeUp = new AtomicBoolean();
                    AskTelemetry.StreamSpan call = telemetry.streamSpan(trace);
                    Multi<AnswerEvent> deltas = endingAfter(
                            telemetry.<ChatCompletionChunk>stream(call, () -> calls.stream(prepared.request().streaming())),
                            totalTimeout.minusNanos(System.nanoTime() - started), timeUp)
                            .onItem().transformToIterable(answer::add);
                    Multi<AnswerEvent> completed = Multi.createFrom().item(() -> {
                        Answer whole = answer.finish(timeUp.get() ? UpstreamException.totalTimeout(totalTimeout) : null,
                                prepared.sources(), configuredModel, elapsedMs(started));
                        call.answered(whole);
                        logAnswered(whole);
                        return new AnswerEvent.Completed(whole);
                    });
                    Multi<AnswerEvent> retrieved = Multi.createFrom().item(new AnswerEvent.Retrieved(prepared.sources()));
                    // The call's span fails with the stream: the upstream's failure, or an answer left incomplete.
                    return Multi.createBy().concatenating().streams(retrieved, deltas, completed)
                            .onFailure().invoke(call::failed);
                })
                .onCompletion().invoke(() -> telemetry.ended(null))
                .onFailure().invoke(telemetry::ended)
                .onCancellation().invoke(telemetry::cancelled);
    }

    /** The request and the sources it is grounded in. */
    private record Prepared(ChatCompletionRequest request, List<SearchHit> sources) {
    }

    /** Embeds the photo, retrieves references, encodes all images: everything before the LLM. */
    private Uni<Prepared> prepare(Context trace, Question question) {
        PromptImages.Photo photo = images.photo(question.photo());
        return retrieval.references(photo, question.k(), question.minScore())
                .chain(hits -> images.forRequest(photo, hits)
                        .map(ready -> new Prepared(telemetry.promptBuilt(trace, ready.references().size() + 1,
                                () -> prompts.build(question.text(), ready.photo(), ready.references())), hits)));
    }

    private Answer toAnswer(Prepared prepared, ChatCompletionResponse response, long started) {
        if (response == null) {
            throw UpstreamException.malformed("the vision LLM answered with an empty body", null);
        }
        if (response.error() != null) {
            throw calls.redacted(UpstreamException.malformed("the vision LLM answered 200 but reported an error",
                    response.error().message()));
        }
        if (response.choices() == null || response.choices().isEmpty() || response.choices().get(0).message() == null) {
            throw UpstreamException.malformed("the vision LLM's answer holds no choices", null);
        }
        ChatCompletionResponse.Message message = response.choices().get(0).message();
        String text = message.content() != null && !message.content().isBlank() ? message.content() : message.refusal();
        if (text == null || text.isBlank()) {
            throw UpstreamException.malformed("the vision LLM's answer holds no text", null);
        }
        if (text.length() > maxAnswerLength) {
            throw calls.failed(UpstreamException.tooLong(maxAnswerLength), 1);
        }
        Answer answer = new Answer(text, prepared.sources(), response.model() != null ? response.model() : configuredModel,
                response.usage(), elapsedMs(started));
        logAnswered(answer);
        return answer;
    }

    /**
     * {@code stream} until it ends or {@code limit} has passed, whichever comes first; then the subscription to it is
     * cancelled (closing the upstream connection), {@code timeUp} set and the stream completed. A subscriber that
     * cancels cancels both. (With Mutiny's {@code select().first(Duration)} in its place, a client hanging up no
     * longer closed the upstream connection: AskStreamCancellationTest.)
     */
    private static <T> Multi<T> endingAfter(Multi<T> stream, Duration limit, AtomicBoolean timeUp) {
        return Multi.createFrom().emitter(emitter -> {
            Cancellable upstream = stream.subscribe()
                    .with(emitter::emit, emitter::fail, emitter::complete);
            Cancellable timer = (limit.isNegative() || limit.isZero()
                    ? Uni.createFrom().voidItem() : Uni.createFrom().voidItem().onItem().delayIt().by(limit))
                    .subscribe().with(ignored -> {
                        timeUp.set(true);
                        upstream.cancel();
                        emitter.complete();
                    });
            emitter.onTermination(() -> {
                timer.cancel();
                upstream.cancel();
            });
        });
    }

    private static void logAnswered(Answer answer) {
        LOG.debugf("answered by %s from %d references in %d ms (tokens: %s)", answer.model(), answer.sources().size(),
                answer.tookMs(), answer.usage());
    }

    private static long elapsedMs(long started) {
        return (System.nanoTime() - started) / 1_000_000;
    }
}
