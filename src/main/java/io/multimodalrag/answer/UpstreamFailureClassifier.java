package io.multimodalrag.answer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.multimodalrag.answer.UpstreamException.Kind;
import jakarta.ws.rs.ProcessingException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeoutException;

/**
 * Which kind of {@link UpstreamException} a failed call to the vision LLM is: from the HTTP status, body and headers
 * of a non-2xx answer, or from the cause chain of a transport failure.
 */
final class UpstreamFailureClassifier {

    private static final ObjectMapper JSON = new ObjectMapper();

    private UpstreamFailureClassifier() {
    }

    /**
     * The exception for a non-2xx answer of the chat-completions endpoint, or null for a 2xx.
     * Reads the body for the upstream's error message and the headers for Retry-After.
     */
    static UpstreamException fromResponse(Response response) {
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
                    + status + "); check RAG_LLM_API_KEY and the model's access", null, Optional.empty(), null);
        }
        if (status == 429) {
            return new UpstreamException(Kind.RATE_LIMITED, code, "the vision LLM is rate-limiting requests (HTTP 429)",
                    message, retryAfter, null);
        }
        if (status == 408) {
            return new UpstreamException(Kind.TIMEOUT, code, "the vision LLM timed out reading the request (HTTP 408)",
                    message, Optional.empty(), null);
        }
        if (status >= 500) {
            return new UpstreamException(Kind.UNAVAILABLE, code, "the vision LLM failed (HTTP " + status + ")", message,
                    retryAfter, null);
        }
        return new UpstreamException(Kind.BAD_REQUEST, code, "the vision LLM refused the request (HTTP " + status + ")",
                message, Optional.empty(), null);
    }

    /**
     * Any failure of a call to the vision LLM as an UpstreamException: itself when it is one, else
     * classified from the cause chain (timeouts, connection failures, unreadable bodies).
     *
     * @param connectTimeout and
     * @param readTimeout    the configured limits, named in the message when one was hit
     */
    static UpstreamException of(Throwable failure, Duration connectTimeout, Duration readTimeout) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof UpstreamException upstream) {
                return upstream;
            }
            if (cause instanceof io.netty.channel.ConnectTimeoutException) {
                return transport(Kind.TIMEOUT, "no connection to the vision LLM within "
                        + UpstreamException.seconds(connectTimeout) + " (rag.llm.connect-timeout)", failure);
            }
            if (cause instanceof TimeoutException) {
                return transport(Kind.TIMEOUT, "the vision LLM sent nothing for "
                        + UpstreamException.seconds(readTimeout) + " (rag.llm.read-timeout)", failure);
            }
            if (cause instanceof ConnectException || cause instanceof UnknownHostException
                    || cause instanceof javax.net.ssl.SSLException) {
                return transport(Kind.UNREACHABLE, "the vision LLM could not be reached: "
                        + UpstreamException.clean(cause.getMessage()), failure);
            }
            if (cause instanceof com.fasterxml.jackson.core.JsonProcessingException) {
                return transport(Kind.MALFORMED, "the vision LLM answered with a body that is not a chat completion",
                        failure);
            }
        }
        if (failure instanceof ProcessingException || failure instanceof WebApplicationException) {
            // The client could not read the answer (no reader for its content type, a cut connection, ...).
            return transport(Kind.MALFORMED, "the vision LLM's answer could not be read", failure);
        }
        return transport(Kind.UNREACHABLE, "the call to the vision LLM failed", failure);
    }

    private static UpstreamException transport(Kind kind, String what, Throwable failure) {
        return new UpstreamException(kind, OptionalInt.empty(), what, null, Optional.empty(), failure);
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
                return UpstreamException.clean(error.asText());
            }
            for (JsonNode candidate : new JsonNode[] {error.path("message"), root.path("message"), root.path("detail")}) {
                if (candidate.isTextual()) {
                    return UpstreamException.clean(candidate.asText());
                }
            }
            return null;
        } catch (java.io.IOException | RuntimeException notJson) {
            // An HTML error page or the like: nothing worth quoting.
            return null;
        }
    }
}
