package io.multimodalrag.answer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.ws.rs.ProcessingException;
import jakarta.ws.rs.core.Response;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeoutException;

/**
 * The vision LLM did not give a usable answer. {@link #getMessage()} is a sentence safe to show to
 * the client: it says what happened upstream, never carries the API key (see
 * {@link #redacting(String)}), and for rejected credentials leaves out the upstream's own words,
 * which often echo part of the key.
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

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_UPSTREAM_MESSAGE = 300;

    private final Kind kind;
    private final OptionalInt upstreamStatus;
    private final String what;
    private final String upstreamMessage;
    private final Optional<Duration> retryAfter;
    private final int attempts;

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

    /**
     * The exception for a non-2xx answer of the chat-completions endpoint, or null for a 2xx.
     * Reads the body for the upstream's error message and the headers for Retry-After.
     */
    public static UpstreamException fromResponse(Response response) {
        int status = response.getStatus();
        if (status >= 200 && status < 300) {
            return null;
        }
        String message = readMessage(response);
        Optional<Duration> retryAfter = retryAfter(response.getHeaderString("Retry-After"),
                response.getHeaderString("retry-after-ms"));
        OptionalInt code = OptionalInt.of(status);
        if (status == 401 || status == 403) {
            // OpenAI's message for a wrong key quotes the key's first and last characters: leave it out.
            return new UpstreamException(Kind.CREDENTIALS_REJECTED, code, "the vision LLM rejected the credentials (HTTP "
                    + status + "); check RAG_LLM_API_KEY and the model's access", null, Optional.empty(), 1, null);
        }
        if (status == 429) {
            return new UpstreamException(Kind.RATE_LIMITED, code, "the vision LLM is rate-limiting requests (HTTP 429)",
                    message, retryAfter, 1, null);
        }
        if (status == 408) {
            return new UpstreamException(Kind.TIMEOUT, code, "the vision LLM timed out reading the request (HTTP 408)",
                    message, Optional.empty(), 1, null);
        }
        if (status >= 500) {
            return new UpstreamException(Kind.UNAVAILABLE, code, "the vision LLM failed (HTTP " + status + ")", message,
                    retryAfter, 1, null);
        }
        return new UpstreamException(Kind.BAD_REQUEST, code, "the vision LLM refused the request (HTTP " + status + ")",
                message, Optional.empty(), 1, null);
    }

    /** The whole answer took longer than {@code rag.llm.total-timeout}. */
    public static UpstreamException totalTimeout(Duration limit) {
        return new UpstreamException(Kind.TIMEOUT, OptionalInt.empty(), "the answer was not complete within "
                + seconds(limit) + " (rag.llm.total-timeout)", null, Optional.empty(), 1, null);
    }

    /** An answer longer than {@code rag.llm.max-answer-length}. */
    public static UpstreamException tooLong(int maxLength) {
        return new UpstreamException(Kind.MALFORMED, OptionalInt.empty(), "the vision LLM's answer is longer than "
                + maxLength + " characters (rag.llm.max-answer-length)", null, Optional.empty(), 1, null);
    }

    /** A streamed answer that ended without saying it was complete: cut off upstream or on the way. */
    public static UpstreamException truncated() {
        return new UpstreamException(Kind.MALFORMED, OptionalInt.empty(), "the vision LLM's stream ended before the"
                + " answer was complete (no finish_reason, no [DONE]); the text received is incomplete", null,
                Optional.empty(), 1, null);
    }

    /** A 2xx answer that is not a usable chat completion. */
    public static UpstreamException malformed(String what, String upstreamMessage) {
        return new UpstreamException(Kind.MALFORMED, OptionalInt.empty(), what, clean(upstreamMessage),
                Optional.empty(), 1, null);
    }

    /**
     * Any failure of a call to the vision LLM as an UpstreamException: itself when it is one, else
     * classified from the cause chain (timeouts, connection failures, unreadable bodies).
     *
     * @param connectTimeout and
     * @param readTimeout    the configured limits, named in the message when one was hit
     */
    public static UpstreamException of(Throwable failure, Duration connectTimeout, Duration readTimeout) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof UpstreamException upstream) {
                return upstream;
            }
            if (cause instanceof io.netty.channel.ConnectTimeoutException) {
                return new UpstreamException(Kind.TIMEOUT, OptionalInt.empty(), "no connection to the vision LLM within "
                        + seconds(connectTimeout) + " (rag.llm.connect-timeout)", null, Optional.empty(), 1, failure);
            }
            if (cause instanceof TimeoutException) {
                return new UpstreamException(Kind.TIMEOUT, OptionalInt.empty(), "the vision LLM sent nothing for "
                        + seconds(readTimeout) + " (rag.llm.read-timeout)", null, Optional.empty(), 1, failure);
            }
            if (cause instanceof ConnectException || cause instanceof UnknownHostException
                    || cause instanceof javax.net.ssl.SSLException) {
                return new UpstreamException(Kind.UNREACHABLE, OptionalInt.empty(),
                        "the vision LLM could not be reached: " + clean(cause.getMessage()), null, Optional.empty(), 1,
                        failure);
            }
            if (cause instanceof com.fasterxml.jackson.core.JsonProcessingException) {
                return new UpstreamException(Kind.MALFORMED, OptionalInt.empty(),
                        "the vision LLM answered with a body that is not a chat completion", null, Optional.empty(), 1,
                        failure);
            }
        }
        if (failure instanceof ProcessingException || failure instanceof jakarta.ws.rs.WebApplicationException) {
            // The client could not read the answer (no reader for its content type, a cut connection, ...).
            return new UpstreamException(Kind.MALFORMED, OptionalInt.empty(),
                    "the vision LLM's answer could not be read", null, Optional.empty(), 1, failure);
        }
        return new UpstreamException(Kind.UNREACHABLE, OptionalInt.empty(), "the call to the vision LLM failed", null,
                Optional.empty(), 1, failure);
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

    /** Retry-After as a delay: whole seconds, an HTTP date, or OpenAI's {@code retry-after-ms}. */
    static Optional<Duration> retryAfter(String header, String millisHeader) {
        if (millisHeader != null) {
            try {
                double millis = Double.parseDouble(millisHeader.strip());
                if (millis >= 0) {
                    return Optional.of(Duration.ofMillis((long) Math.ceil(millis)));
                }
            } catch (NumberFormatException e) {
                // fall back on Retry-After
            }
        }
        if (header == null || header.isBlank()) {
            return Optional.empty();
        }
        String value = header.strip();
        try {
            long seconds = Long.parseLong(value);
            return seconds >= 0 ? Optional.of(Duration.ofSeconds(seconds)) : Optional.empty();
        } catch (NumberFormatException e) {
            // an HTTP date, below
        }
        try {
            ZonedDateTime at = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME);
            Duration until = Duration.between(ZonedDateTime.now(at.getZone()), at);
            return Optional.of(until.isNegative() ? Duration.ZERO : until);
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    /** The upstream's error message from an OpenAI, vLLM, Ollama or gateway error body, if any. */
    private static String readMessage(Response response) {
        String body;
        try {
            body = response.hasEntity() ? response.readEntity(String.class) : null;
        } catch (RuntimeException e) {
            return null;
        }
        if (body == null || body.isBlank()) {
            return null;
        }
        try {
            JsonNode root = JSON.readTree(body);
            JsonNode error = root.path("error");
            if (error.isTextual()) {
                return clean(error.asText());
            }
            for (JsonNode candidate : new JsonNode[] {error.path("message"), root.path("message"), root.path("detail")}) {
                if (candidate.isTextual()) {
                    return clean(candidate.asText());
                }
            }
            return null;
        } catch (java.io.IOException | RuntimeException notJson) {
            // An HTML error page or the like: nothing worth quoting.
            return null;
        }
    }

    /** One line, no control characters, bounded length. */
    private static String clean(String text) {
        if (text == null) {
            return null;
        }
        String line = text.replaceAll("\\p{Cntrl}+", " ").strip();
        return line.length() <= MAX_UPSTREAM_MESSAGE ? line : line.substring(0, MAX_UPSTREAM_MESSAGE) + "…";
    }

    private static String seconds(Duration duration) {
        long millis = duration.toMillis();
        return millis % 1000 == 0 ? millis / 1000 + " s" : String.format(Locale.ROOT, "%.1f s", millis / 1000.0);
    }
}
