package io.multimodalrag.api;

import java.util.Optional;

/** A request the API refuses, with everything its problem+json answer needs. */
public final class ApiException extends RuntimeException {

    private final int status;
    private final String slug;
    private final String title;
    private final Optional<Integer> retryAfterSeconds;

    private ApiException(int status, String slug, String title, String detail, Optional<Integer> retryAfterSeconds) {
        super(detail, null, false, false);
        this.status = status;
        this.slug = slug;
        this.title = title;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** 400: a field is missing or out of range. */
    public static ApiException badField(String detail) {
        return new ApiException(400, "bad-request", "Bad request", detail, Optional.empty());
    }

    /** 404: no such model (an OpenAI-compatible request naming a model this service does not serve). */
    public static ApiException unknownModel(String detail) {
        return new ApiException(404, "model-not-found", "No such model", detail, Optional.empty());
    }

    /** 404: no such entry. */
    public static ApiException notFound(String detail) {
        return new ApiException(404, "not-found", "Not found", detail, Optional.empty());
    }

    /** 413: the upload is over the configured limit. */
    public static ApiException tooLarge(String detail) {
        return new ApiException(413, "payload-too-large", "Payload too large", detail, Optional.empty());
    }

    /** 408: the request's body did not arrive in time ({@code rag.upload.body-timeout}, {@code rag.upload.min-rate}). */
    public static ApiException bodyTooSlow(String detail) {
        return new ApiException(408, "request-timeout", "Request body too slow", detail, Optional.empty());
    }

    /** 503: too much work at once; retry in a second. */
    public static ApiException busy(String detail) {
        return new ApiException(503, "busy", "Service busy", detail, Optional.of(1));
    }

    Problem problem() {
        return Problem.of(status, slug, title, getMessage());
    }

    int status() {
        return status;
    }

    Optional<Integer> retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
