package io.multimodalrag.answer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.ws.rs.core.Response;
import org.junit.jupiter.api.Test;

/** The exception itself: a client-safe message, the key redacted, attempts and Retry-After said. */
class UpstreamExceptionTest {

    @Test
    void theSecretIsRedactedFromTheUpstreamsWords() {
        UpstreamException e = UpstreamException.malformed("the vision LLM answered 200 but reported an error",
                "key sk-secret-123 is not allowed to use model m");
        UpstreamException redacted = e.redacting("sk-secret-123");
        assertFalse(redacted.getMessage().contains("sk-secret-123"), redacted.getMessage());
        assertTrue(redacted.getMessage().contains("key [redacted] is not allowed"), redacted.getMessage());
        assertEquals(e.kind(), redacted.kind());
    }

    @Test
    void attemptsAndRetryAfterAreSaidInTheMessage() {
        UpstreamException e = UpstreamFailureClassifier.fromResponse(Response.status(429).header("Retry-After", "2").build())
                .afterAttempts(3);
        assertTrue(e.getMessage().contains("(3 attempts)"), e.getMessage());
        assertTrue(e.getMessage().contains("retry after 2 s"), e.getMessage());
    }
}
