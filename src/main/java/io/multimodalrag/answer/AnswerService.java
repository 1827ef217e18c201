package io.multimodalrag.answer;

import io.multimodalrag.clip.ImageEncoder;
import io.multimodalrag.config.RagConfig;
import io.multimodalrag.image.ImageDecoder;
import io.multimodalrag.search.ContentHash;
import io.multimodalrag.search.KnowledgeBase;
import io.multimodalrag.search.SearchHit;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.smallrye.mutiny.subscription.Cancellable;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.microprofile.rest.client.inject.RestClient;
import org.jboss.logging.Logger;

/**
 * Answers a question about a photo: embeds the photo, retrieves the most similar knowledge-base
 * images, builds the grounded prompt ({@link PromptBuilder}) and asks the vision LLM, retrying
 * rate limits and server errors ({@link RetryPolicy}). Never blocks the caller: knowledge-base files are read
 * and images re-encoded on the worker pool, the LLM is called without blocking.
 */
@ApplicationScoped
public class AnswerService {

    private static final Logger LOG = Logger.getLogger(AnswerService.class);

    private final VisionChatClient client;
    private final ImageEncoder encoder;
    private final KnowledgeBase knowledgeBase;
    private final ImageDecoder decoder;
    private final PromptBuilder prompts;
    private final RetryPolicy retries;
    private final Optional<String> apiKey;
    private final String configuredModel;
    private final int imageMaxSide;
    private final boolean requireMatch;
    private final Duration connectTimeout;
    private final Duration readTimeout;
    private final Duration totalTimeout;
    private final int maxAnswerLength;

    public AnswerService(@RestClient VisionChatClient client, ImageEncoder encoder, KnowledgeBase knowledgeBase,
            RagConfig config) {
        RagConfig.Llm llm = config.llm();
        if (llm.imageMaxSide() < 16) {
            throw new IllegalArgumentException("rag.llm.image-max-side must be at least 16 pixels but was "
                    + llm.imageMaxSide() + "; the default is 1024");
        }
        this.client = client;
        this.encoder = encoder;
        this.knowledgeBase = knowledgeBase;
        this.decoder = new ImageDecoder(config.image().maxPixels());
        this.prompts = new PromptBuilder(llm.model(), llm.maxTokens(), llm.temperature());
        this.retries = new RetryPolicy(Math.max(0, llm.maxRetries()), llm.retryBackoff(), llm.retryMaxWait(),
                () -> ThreadLocalRandom.current().nextDouble());
        this.apiKey = llm.apiKey().map(String::strip).filter(key -> !key.isEmpty());
        this.configuredModel = llm.model();
        this.imageMaxSide = llm.imageMaxSide();
        this.requireMatch = config.ask().requireMatch();
        this.connectTimeout = llm.connectTimeout();
        this.readTimeout = llm.readTimeout();
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
        return prepare(question).chain(prepared -> completeWithRetries(prepared.request(), 1, Duration.ZERO)
                .map(response -> toAnswer(prepared, response, started)))
                // Cancels whatever is under way (the upstream call, a wait before a retry) when the time is up.
                .ifNoItem().after(totalTimeout).failWith(() -> finalFailure(UpstreamException.totalTimeout(totalTimeout), 1));
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
        return prepare(question)
                .ifNoItem().after(totalTimeout).failWith(() -> finalFailure(UpstreamException.totalTimeout(totalTimeout), 1))
                .onItem().transformToMulti(prepared -> {
            StringBuilder text = new StringBuilder();
            AtomicReference<ChatCompletionUsage> usage = new AtomicReference<>();
            AtomicReference<String> model = new AtomicReference<>();
            AtomicBoolean complete = new AtomicBoolean();
            Duration left = totalTimeout.minusNanos(System.nanoTime() - started);
            AtomicBoolean timeUp = new AtomicBoolean();
            Multi<AnswerEvent> deltas = endingAfter(streamWithRetries(prepared.request().streaming(), 1, Duration.ZERO),
                    left, timeUp)
                    .onItem().transformToIterable(chunk -> {
                        if (chunk.error() != null) {
                            throw redacted(UpstreamException.malformed("the vision LLM reported an error in the middle"
                                    + " of its answer", chunk.error().message()));
                        }
                        if (chunk.ends()) {
                            complete.set(true);
                        }
                        if (chunk.usage() != null) {
                            usage.set(chunk.usage());
                        }
                        if (chunk.model() != null) {
                            model.set(chunk.model());
                        }
                        String piece = chunk.text();
                        if (text.length() + piece.length() > maxAnswerLength) {
                            throw finalFailure(UpstreamException.tooLong(maxAnswerLength), 1);
                        }
                        text.append(piece);
                        return piece.isEmpty() ? List.<AnswerEvent>of() : List.<AnswerEvent>of(new AnswerEvent.TextDelta(piece));
                    });
            Multi<AnswerEvent> completed = Multi.createFrom().item(() -> {
                if (!complete.get()) {
                    throw finalFailure(timeUp.get() ? UpstreamException.totalTimeout(totalTimeout)
                            : UpstreamException.truncated(), 1);
                }
                if (text.toString().isBlank()) {
                    throw UpstreamException.malformed("the vision LLM's stream ended without any text", null);
                }
                Answer answer = new Answer(text.toString(), prepared.sources(), model.get() != null ? model.get()
                        : configuredModel, usage.get(), elapsedMs(started));
                logAnswered(answer);
                return new AnswerEvent.Completed(answer);
            });
            return Multi.createBy().concatenating().streams(deltas, completed);
        });
    }

    /** The request and the sources it is grounded in. */
    private record Prepared(ChatCompletionRequest request, List<SearchHit> sources) {
    }

    /** Embeds the photo, retrieves references, encodes all images: everything before the LLM. */
    private Uni<Prepared> prepare(Question question) {
        return encoder.encode(question.photo()).map(vector -> {
            List<SearchHit> hits = knowledgeBase.search(vector, question.k(), question.minScore());
            if (hits.isEmpty() && requireMatch) {
                throw new NoReferenceFoundException(question.minScore());
            }
            return hits;
        }).chain(hits -> Uni.createFrom().item(() -> build(question, hits))
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool()));
    }

    private Prepared build(Question question, List<SearchHit> hits) {
        PromptImage photoImage = PromptImage.of(question.photo(), decoder, imageMaxSide);
        List<PromptBuilder.Reference> references = new ArrayList<>(hits.size());
        String photoHash = ContentHash.contentHash(question.photo());
        for (SearchHit hit : hits) {
            // The user's photo may be in the knowledge base: it is already in the request, once is enough.
            references.add(hit.entry().contentHash().equals(photoHash) ? PromptBuilder.Reference.thePhotoItself(hit)
                    : new PromptBuilder.Reference(hit, PromptImage.of(knowledgeBase.imageBytes(hit.entry()), decoder,
                            imageMaxSide)));
        }
        return new Prepared(prompts.build(question.text(), photoImage, references), hits);
    }

    private Answer toAnswer(Prepared prepared, ChatCompletionResponse response, long started) {
        if (response == null) {
            throw UpstreamException.malformed("the vision LLM answered with an empty body", null);
        }
        if (response.error() != null) {
            throw redacted(UpstreamException.malformed("the vision LLM answered 200 but reported an error",
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
            throw finalFailure(UpstreamException.tooLong(maxAnswerLength), 1);
        }
        Answer answer = new Answer(text, prepared.sources(), response.model() != null ? response.model() : configuredModel,
                response.usage(), elapsedMs(started));
        logAnswered(answer);
        return answer;
    }

    /**
     * Calls until success, a final failure, or the retry policy says stop. Every failure leaves as
     * an {@link UpstreamException} free of the key.
     */
    private Uni<ChatCompletionResponse> completeWithRetries(ChatCompletionRequest request, int attempt, Duration waited) {
        return Uni.createFrom().deferred(() -> client.complete(request))
                .onFailure().transform(this::upstream)
                .onFailure().recoverWithUni(failure -> {
                    UpstreamException upstream = (UpstreamException) failure;
                    Optional<Duration> delay = retries.delayAfter(upstream, attempt, waited);
                    if (delay.isEmpty()) {
                        return Uni.createFrom().failure(finalFailure(upstream, attempt));
                    }
                    logRetry(upstream, attempt, delay.get());
                    return pause(delay.get())
                            .chain(() -> completeWithRetries(request, attempt + 1, waited.plus(delay.get())));
                });
    }

    /**
     * Streams with the same retries, as long as nothing has arrived yet: once text has been passed
     * on, calling again would repeat it, so a later failure is final.
     */
    private Multi<ChatCompletionChunk> streamWithRetries(ChatCompletionRequest request, int attempt, Duration waited) {
        return Multi.createFrom().deferred(() -> {
            AtomicBoolean received = new AtomicBoolean();
            return client.stream(request)
                    .onItem().invoke(() -> received.set(true))
                    .onFailure().transform(this::upstream)
                    .onFailure().recoverWithMulti(failure -> {
                        UpstreamException upstream = (UpstreamException) failure;
                        Optional<Duration> delay = received.get() ? Optional.empty()
                                : retries.delayAfter(upstream, attempt, waited);
                        if (delay.isEmpty()) {
                            return Multi.createFrom().failure(finalFailure(upstream, attempt));
                        }
                        logRetry(upstream, attempt, delay.get());
                        return pause(delay.get()).onItem()
                                .transformToMulti(ignored -> streamWithRetries(request, attempt + 1, waited.plus(delay.get())));
                    });
        });
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

    /** Waits without holding a thread; Mutiny refuses a zero delay, and "Retry-After: 0" means none. */
    private static Uni<Void> pause(Duration delay) {
        return delay.isZero() || delay.isNegative() ? Uni.createFrom().voidItem()
                : Uni.createFrom().voidItem().onItem().delayIt().by(delay);
    }

    private UpstreamException upstream(Throwable failure) {
        return redacted(UpstreamException.of(failure, connectTimeout, readTimeout));
    }

    private UpstreamException redacted(UpstreamException failure) {
        return apiKey.map(failure::redacting).orElse(failure);
    }

    private UpstreamException finalFailure(UpstreamException failure, int attempts) {
        UpstreamException result = attempts > 1 ? failure.afterAttempts(attempts) : failure;
        if (result.kind() == UpstreamException.Kind.RATE_LIMITED && result.retryAfter().isEmpty()) {
            result = result.withRetryAfter(retries.suggestedRetryAfter(result));
        }
        // The cause (a timeout, a refused connection) stays out of the log: the message says it all.
        LOG.warnf("vision LLM call failed: %s", result.getMessage());
        return result;
    }

    private static void logRetry(UpstreamException failure, int attempt, Duration delay) {
        LOG.infof("vision LLM call %d failed (%s); retrying in %d ms", attempt, failure.getMessage(), delay.toMillis());
    }

    private static void logAnswered(Answer answer) {
        LOG.debugf("answered by %s from %d references in %d ms (tokens: %s)", answer.model(), answer.sources().size(),
                answer.tookMs(), answer.usage());
    }

    private static long elapsedMs(long started) {
        return (System.nanoTime() - started) / 1_000_000;
    }
}
