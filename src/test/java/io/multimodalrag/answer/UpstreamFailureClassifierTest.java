package io.multimodalrag.answer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonParseException;
import jakarta.ws.rs.ProcessingException;
import jakarta.ws.rs.core.Response;
import java.net.ConnectException;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which kind of upstream failure a status, body, header or transport failure is. */
class UpstreamFailureClassifierTest {

    private static final Duration CONNECT = Duration.ofSeconds(10);
    private static final Duration READ = Duration.ofMillis(1500);

    @ParameterizedTest
    @CsvSource({"401, CREDENTIALS_REJECTED", "403, CREDENTIALS_REJECTED", "429, RATE_LIMITED", "500, UNAVAILABLE",
            "502, UNAVAILABLE", "503, UNAVAILABLE", "504, UNAVAILABLE", "408, TIMEOUT", "400, BAD_REQUEST",
            "404, BAD_REQUEST", "422, BAD_REQUEST"})
    void eachStatusHasItsKind(int status, UpstreamException.Kind kind) {
        UpstreamException e = UpstreamFailureClassifier.fromResponse(Response.status(status).build());
        assertEquals(kind, e.kind());
        assertEquals(status, e.upstreamStatus().getAsInt());
        assertTrue(e.getMessage().contains("HTTP " + status), e.getMessage());
    }

    @Test
    void aSuccessIsNoException() {
        assertNull(UpstreamFailureClassifier.fromResponse(Response.ok().build()));
        assertNull(UpstreamFailureClassifier.fromResponse(Response.status(204).build()));
    }

    @Test
    void retryAfterIsReadInItsThreeForms() {
        assertEquals(Optional.of(Duration.ofSeconds(12)), UpstreamFailureClassifier.retryAfter("12", null));
        assertEquals(Optional.of(Duration.ofMillis(1501)), UpstreamFailureClassifier.retryAfter("12", "1500.2"));
        Duration untilDate = UpstreamFailureClassifier.retryAfter(
                DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now().plusSeconds(30)), null).orElseThrow();
        assertTrue(untilDate.toSeconds() >= 28 && untilDate.toSeconds() <= 30, untilDate.toString());
        assertEquals(Optional.of(Duration.ZERO), UpstreamFailureClassifier.retryAfter(
                DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now().minusHours(1)), null));
        assertEquals(Optional.empty(), UpstreamFailureClassifier.retryAfter("soon", null));
        assertEquals(Optional.empty(), UpstreamFailureClassifier.retryAfter("-5", null));
        assertEquals(Optional.empty(), UpstreamFailureClassifier.retryAfter(null, null));
        assertEquals(Optional.of(Duration.ofSeconds(3)), UpstreamFailureClassifier
                .fromResponse(Response.status(429).header("Retry-After", "3").build()).retryAfter());
    }

    @Test
    void failuresWithoutAStatusAreClassifiedByTheirCause() {
        assertEquals(UpstreamException.Kind.TIMEOUT,
                UpstreamFailureClassifier.of(new ProcessingException(new TimeoutException("late")), CONNECT, READ).kind());
        UpstreamException connectTimeout = UpstreamFailureClassifier.of(
                new ProcessingException(new io.netty.channel.ConnectTimeoutException("connection timed out")), CONNECT, READ);
        assertEquals(UpstreamException.Kind.TIMEOUT, connectTimeout.kind());
        assertTrue(connectTimeout.getMessage().contains("10 s (rag.llm.connect-timeout)"), connectTimeout.getMessage());
        UpstreamException readTimeout = UpstreamFailureClassifier.of(new TimeoutException(), CONNECT, READ);
        assertTrue(readTimeout.getMessage().contains("1.5 s (rag.llm.read-timeout)"), readTimeout.getMessage());
        UpstreamException refused = UpstreamFailureClassifier.of(
                new ProcessingException(new ConnectException("Connection refused: localhost/127.0.0.1:9")), CONNECT, READ);
        assertEquals(UpstreamException.Kind.UNREACHABLE, refused.kind());
        assertTrue(refused.getMessage().contains("Connection refused"), refused.getMessage());
        assertFalse(refused.retryable());
        assertEquals(UpstreamException.Kind.MALFORMED, UpstreamFailureClassifier.of(
                new ProcessingException(new JsonParseException(null, "Unexpected character")), CONNECT, READ).kind());
        UpstreamException same = UpstreamFailureClassifier.fromResponse(Response.status(503).build());
        assertEquals(same, UpstreamFailureClassifier.of(new RuntimeException(same), CONNECT, READ));
    }
}
