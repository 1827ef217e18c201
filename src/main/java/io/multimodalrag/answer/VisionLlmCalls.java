package io.multimodalrag.answer;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Flow;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * Calls to the vision LLM, retried by Mutiny's {@code retry().when(...)} as {@link RetryPolicy} says: which failures
 * (429, 5xx), how many times, after what wait (Retry-After, else jittered backoff) and within what total wait. A
 * stream is retried only while it has passed nothing on: calling again would repeat what was sent. Every failure
 * leaves as an {@link UpstreamException} classified by {@link UpstreamFailureClassifier} and free of the key.
 */
final class VisionLlmCalls {

    /** Logged under the service's name, where operators have always found the LLM's failures. */
    private static final Logger LOG = Logger.getLogger(AnswerService.class);

    private final VisionChatClient client;
    private final RetryPolicy retries;
    private final Optional<String> apiKey;
    private final Duration connectTimeout;
    private final Duration readTimeout;
    private final Consumer<UpstreamException> retried;

    /** @param retried told of each failure that is retried (the retry metric) */
    VisionLlmCalls(VisionChatClient client, RetryPolicy retries, Optional<String> apiKey, Duration connectTimeout,
            Duration readTimeout, Consumer<UpstreamException> retried) {
        this.client = client;
        this.retried = retried;
        this.retries = retries;
        this.apiKey = apiKey;
        this.connectTimeout = connectTimeout;
        this.readTimeout = readTimeout;
    }

    /** One chat completion, retried until success, a final failure, or the retry policy says stop. */
    Uni<ChatCompletionResponse> complete(ChatCompletionRequest request) {
        return Uni.createFrom().deferred(() -> client.complete(request))
                .onFailure().transform(this::upstream)
                .onFailure().retry().when(retrying(() -> false));
    }

    /** One streamed chat completion, retried like {@link #complete} as long as nothing has arrived. */
    Multi<ChatCompletionChunk> stream(ChatCompletionRequest request) {
        return Multi.createFrom().deferred(() -> {
            boolean[] received = {false};
            return Multi.createFrom().deferred(() -> client.stream(request))
                    .onItem().invoke(() -> received[0] = true)
                    .onFailure().transform(this::upstream)
                    .onFailure().retry().when(retrying(() -> received[0]));
        });
    }

    /**
     * For each failure of one call, an item after the policy's delay (call again) or the final failure (stop);
     * once {@code passedOn} says something was passed on, every failure is final.
     */
    private Function<Multi<Throwable>, Flow.Publisher<?>> retrying(BooleanSupplier passedOn) {
        return failures -> {
            int[] attempts = {0};
            Duration[] waited = {Duration.ZERO};
            return failures.onItem().transformToUniAndConcatenate(failure -> {
                UpstreamException upstream = (UpstreamException) failure;
                int attempt = ++attempts[0];
                Optional<Duration> delay = passedOn.getAsBoolean() ? Optional.empty()
                        : retries.delayAfter(upstream, attempt, waited[0]);
                if (delay.isEmpty()) {
                    return Uni.createFrom().failure(failed(upstream, attempt));
                }
                LOG.infof("vision LLM call %d failed (%s); retrying in %d ms", attempt, upstream.getMessage(),
                        delay.get().toMillis());
                retried.accept(upstream);
                waited[0] = waited[0].plus(delay.get());
                // Waits without holding a thread; Mutiny refuses a zero delay, and "Retry-After: 0" means none.
                Uni<Integer> next = Uni.createFrom().item(attempt);
                return delay.get().isZero() || delay.get().isNegative() ? next : next.onItem().delayIt().by(delay.get());
            });
        };
    }

    private UpstreamException upstream(Throwable failure) {
        return redacted(UpstreamFailureClassifier.of(failure, connectTimeout, readTimeout));
    }

    /** {@code failure} with the API key blotted out of the upstream's words. */
    UpstreamException redacted(UpstreamException failure) {
        return apiKey.map(failure::redacting).orElse(failure);
    }

    /**
     * {@code failure} as the question's final one, after {@code attempts} calls: a rate limit that named no
     * Retry-After gets the policy's suggestion; logged.
     */
    UpstreamException failed(UpstreamException failure, int attempts) {
        UpstreamException result = attempts > 1 ? failure.afterAttempts(attempts) : failure;
        if (result.kind() == UpstreamException.Kind.RATE_LIMITED && result.retryAfter().isEmpty()) {
            result = result.withRetryAfter(retries.suggestedRetryAfter(result));
        }
        // The cause (a timeout, a refused connection) stays out of the log: the message says it all.
        LOG.warnf("vision LLM call failed: %s", result.getMessage());
        return result;
    }
}
