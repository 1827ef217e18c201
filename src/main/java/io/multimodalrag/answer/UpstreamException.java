package io.multimodalrag.answer;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The vision LLM did not give a usable answer. {@link #getMessage()} is a sentence safe to show to
 * the client: it says what happened upstream, never carries the API key (see
 * {@link #redacting(String)}), and for rejected credentials leaves out the upstream's own words,
 * which often echo part of the key. Which failure is which kind is
 * {@link UpstreamFailureClassifier}'s to say.
 */
public final class UpstreamException extends RuntimeException {

    /** What went wrong; the API maps each kind to a status (502, 503 or 504). */
    public enum Kind {
        /** 401 or 403: the key is wrong, revoked or lacks access to the model. */
        CREDENTIALS_REJECTED,
        /** 429: too many requests or tokens; retried, honouring Retry-After. */
        RATE_LIMITED,
        /** 5xx: the upstream failed; retried. */
        UNAVAILABLE,
        /** No connection could be made (refused, unknown host, TLS failure). */
        UNREACHABLE,
        /** The connection or the answer took longer than the configured timeout. */
        TIMEOUT,
        /** 200, but no chat completion in the body (unparseable, empty, no choices, an error object). */
        MALFORMED,
        /** Another 4xx: the upstream refused this request (unknown model, no image support, too large, ...). */
        BAD_REQUEST
    }

    private static final int MAX_UPSTREAM_MESSAGE = 300;

    private final Kind kind;
    private final OptionalInt upstreamStatus;
    private final String what;
    private final String upstreamMessage;
    private final Optional<Duration> retryAfter;
    private final int attempts;

    /** A first attempt's failure; {@link UpstreamFailureClassifier} says which kind a failure is. */
    UpstreamException(Kind kind, OptionalInt upstreamStatus, String what, String upstreamMessage,
            Optional<Duration> retryAfter, Throwable cause) {
        this(kind, upstreamStatus, what, upstreamMessage, retryAfter, 1, cause);
    }

    private UpstreamException(Kind kind, OptionalInt upstreamStatus, String what, String upstreamMessage,
            Optional<Duration> retryAfter, int attempts, Throwable cause) {
        super(detail(what, upstreamMessage, retryAfter, attempts), cause, false, false);
        this.kind = kind;
        this.upstreamStatus = upstreamStatus;
        this.what = what;
        this.upstreamMessage = upstreamMessage;
        this.retryAfter = retryAfter;
        this.attempts = attempts;
    }

    private static String detail(String what, String upstreamMessage, Optional<Duration> retryAfter, int attempts) {
        StringBuilder detail = new StringBuilder(what);
        if (attempts > 1) {
            detail.append(" (").append(attempts).append(" attempts)");
        }
        // Also said in the text: a streamed answer has no Retry-After header to carry it.
        retryAfter.ifPresent(delay -> detail.append("; retry after ").append(seconds(delay)));
        if (upstreamMessage != null && !upstreamMessage.isBlank()) {
            detail.append("; upstream said: ").append(upstreamMessage);
        }
        return detail.toString();
    }

    /** The whole answer took longer than {@code rag.llm.total-timeout}. */
    public static UpstreamException totalTimeout(Duration limit) {
        return new UpstreamException(Kind.TIMEOUT, OptionalInt.empty(), "the answer was not complete within "
                + seconds(limit) + " (rag.llm.total-timeout)", null, Optional.empty(), null);
    }

    /** An answer longer than {@code rag.llm.max-answer-length}. */
    public static UpstreamException tooLong(int maxLength) {
        return new UpstreamException(Kind.MALFORMED, OptionalInt.empty(), "the vision LLM's answer is longer than "
                + maxLength + " characters (rag.llm.max-answer-length)", null, Optional.empty(), null);
    }

    /** A streamed answer that ended without saying it was complete: cut off upstream or on the way. */
    public static UpstreamException truncated() {
        return new UpstreamException(Kind.MALFORMED, OptionalInt.empty(), "the vision LLM's stream ended before the"
                + " answer was complete (no finish_reason, no [DONE]); the text received is incomplete", null,
                Optional.empty(), null);
    }

    /** A 2xx answer that is not a usable chat completion. */
    public static UpstreamException malformed(String what, String upstreamMessage) {
        return new UpstreamException(Kind.MALFORMED, OptionalInt.empty(), what, clean(upstreamMessage),
                Optional.empty(), null);
    }

    /** The same failure after {@code attempts} calls, for the client's detail. */
    public UpstreamException afterAttempts(int attempts) {
        return new UpstreamException(kind, upstreamStatus, what, upstreamMessage, retryAfter, attempts, getCause());
    }

    /** The same failure with a Retry-After of our own choosing, for a rate limit that named none. */
    public UpstreamException withRetryAfter(Duration delay) {
        return new UpstreamException(kind, upstreamStatus, what, upstreamMessage, Optional.of(delay), attempts, getCause());
    }

    /** The same failure with every occurrence of {@code secret} in the upstream's words blotted out. */
    public UpstreamException redacting(String secret) {
        if (secret == null || secret.isEmpty() || upstreamMessage == null || !upstreamMessage.contains(secret)) {
            return this;
        }
        return new UpstreamException(kind, upstreamStatus, what, upstreamMessage.replace(secret, "[redacted]"),
                retryAfter, attempts, getCause());
    }

    public Kind kind() {
        return kind;
    }

    /** The HTTP status the upstream answered with, when it answered. */
    public OptionalInt upstreamStatus() {
        return upstreamStatus;
    }

    /** How long the upstream asked us to wait (Retry-After), if it did. */
    public Optional<Duration> retryAfter() {
        return retryAfter;
    }

    /** Whether another attempt may succeed: rate limits and server errors. */
    public boolean retryable() {
        return kind == Kind.RATE_LIMITED || kind == Kind.UNAVAILABLE;
    }

    /** One line, no control characters, bounded length. */
    static String clean(String text) {
        if (text == null) {
            return null;
        }
        String line = text.replaceAll("\\p{Cntrl}+", " ").strip();
        return line.length() <= MAX_UPSTREAM_MESSAGE ? line : line.substring(0, MAX_UPSTREAM_MESSAGE) + "…";
    }

    static String seconds(Duration duration) {
        long millis = duration.toMillis();
        return millis % 1000 == 0 ? millis / 1000 + " s" : String.format(Locale.ROOT, "%.1f s", millis / 1000.0);
    }
}
