package io.multimodalrag.answer;

import java.time.Duration;
import java.util.Optional;
import java.util.function.DoubleSupplier;

/**
 * When to call the vision LLM again: only after a 429 or a 5xx, at most {@code maxRetries} times,
 * and never sooner than the upstream's Retry-After. Without Retry-After the wait doubles from
 * {@code backoff}, jittered into its upper half so that clients rate-limited together do not
 * return together. All waits for one question together stay within {@code maxWait}; a Retry-After
 * beyond what is left ends the retries at once.
 *
 * @param maxRetries calls after the first
 * @param backoff    the wait before the first retry when the upstream names none
 * @param maxWait    the most waiting, all retries together
 * @param jitter     a source of numbers in [0, 1)
 */
public record RetryPolicy(int maxRetries, Duration backoff, Duration maxWait, DoubleSupplier jitter) {

    /**
     * The wait before the next call, or empty when {@code failure} is final.
     *
     * @param attemptsSoFar calls made, the failed one included (1 after the first call)
     * @param waitedSoFar   time already spent waiting between them
     */
    public Optional<Duration> delayAfter(UpstreamException failure, int attemptsSoFar, Duration waitedSoFar) {
        if (!failure.retryable() || attemptsSoFar > maxRetries) {
            return Optional.empty();
        }
        Duration left = maxWait.minus(waitedSoFar);
        if (failure.retryAfter().isPresent()) {
            Duration asked = failure.retryAfter().get();
            return asked.compareTo(left) <= 0 ? Optional.of(asked) : Optional.empty();
        }
        if (left.isNegative() || left.isZero()) {
            return Optional.empty();
        }
        long full = backoff.toMillis() << Math.min(attemptsSoFar - 1, 20);
        long jittered = full / 2 + (long) (jitter.getAsDouble() * (full - full / 2));
        Duration delay = Duration.ofMillis(jittered);
        return Optional.of(delay.compareTo(left) <= 0 ? delay : left);
    }

    /** The wait to suggest to our own client after the upstream kept rate-limiting. */
    public Duration suggestedRetryAfter(UpstreamException failure) {
        return failure.retryAfter().orElse(backoff.multipliedBy(2));
    }
}
