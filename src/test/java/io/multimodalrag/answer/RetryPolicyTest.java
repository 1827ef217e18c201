package io.multimodalrag.answer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

    private static final Duration NONE = Duration.ZERO;

    private static RetryPolicy policy(double jitter) {
        return new RetryPolicy(2, Duration.ofSeconds(1), Duration.ofSeconds(20), () -> jitter);
    }

    private static UpstreamException status(int status, String retryAfter) {
        jakarta.ws.rs.core.Response.ResponseBuilder response = jakarta.ws.rs.core.Response.status(status);
        if (retryAfter != null) {
            response.header("Retry-After", retryAfter);
        }
        return UpstreamFailureClassifier.fromResponse(response.build());
    }

    @Test
    void onlyRateLimitsAndServerErrorsAreRetried() {
        for (int status : new int[] {400, 401, 403, 404, 408, 413, 422}) {
            assertEquals(Optional.empty(), policy(0).delayAfter(status(status, null), 1, NONE), "HTTP " + status);
        }
        assertEquals(Optional.empty(), policy(0).delayAfter(
                UpstreamFailureClassifier.of(new TimeoutException(), Duration.ofSeconds(1), Duration.ofSeconds(1)), 1, NONE));
        assertEquals(Optional.empty(), policy(0).delayAfter(UpstreamException.malformed("bad", null), 1, NONE));
        assertTrue(policy(0).delayAfter(status(429, null), 1, NONE).isPresent());
        assertTrue(policy(0).delayAfter(status(500, null), 1, NONE).isPresent());
        assertTrue(policy(0).delayAfter(status(503, null), 1, NONE).isPresent());
    }

    @Test
    void retriesStopAfterMaxRetries() {
        assertTrue(policy(0).delayAfter(status(429, null), 2, NONE).isPresent(), "the second retry");
        assertEquals(Optional.empty(), policy(0).delayAfter(status(429, null), 3, NONE), "no third retry");
        assertEquals(Optional.empty(), new RetryPolicy(0, Duration.ofSeconds(1), Duration.ofSeconds(20), () -> 0)
                .delayAfter(status(500, null), 1, NONE), "max-retries 0 disables retrying");
    }

    @Test
    void backoffDoublesAndIsJitteredIntoItsUpperHalf() {
        assertEquals(Optional.of(Duration.ofMillis(500)), policy(0).delayAfter(status(500, null), 1, NONE));
        assertEquals(Optional.of(Duration.ofMillis(750)), policy(0.5).delayAfter(status(500, null), 1, NONE));
        assertEquals(Optional.of(Duration.ofMillis(999)), policy(0.999999).delayAfter(status(500, null), 1, NONE));
        assertEquals(Optional.of(Duration.ofMillis(1000)), policy(0).delayAfter(status(500, null), 2, NONE));
        assertEquals(Optional.of(Duration.ofMillis(1500)), policy(0.5).delayAfter(status(500, null), 2, NONE));
    }

    @Test
    void retryAfterIsHonouredExactlyUnlessItExceedsWhatIsLeftOfTheBudget() {
        assertEquals(Optional.of(Duration.ofSeconds(7)), policy(0).delayAfter(status(429, "7"), 1, NONE));
        assertEquals(Optional.of(Duration.ofSeconds(7)), policy(0).delayAfter(status(503, "7"), 1, NONE));
        assertEquals(Optional.empty(), policy(0).delayAfter(status(429, "7"), 1, Duration.ofSeconds(14)),
                "14 s waited + 7 s > 20 s");
        assertEquals(Optional.empty(), policy(0).delayAfter(status(429, "3600"), 1, NONE));
    }

    @Test
    void backoffIsCutToWhatIsLeftOfTheBudget() {
        assertEquals(Optional.of(Duration.ofMillis(300)), policy(0.999999).delayAfter(status(500, null), 1,
                Duration.ofMillis(19_700)));
        assertEquals(Optional.empty(), policy(0).delayAfter(status(500, null), 1, Duration.ofSeconds(20)));
    }
}
