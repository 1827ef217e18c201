package io.multimodalrag.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.opentelemetry.api.trace.SpanContext;
import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * An RFC 9457 problem detail, the one error shape of every endpoint ({@code application/problem+json}).
 *
 * @param type   a stable URI naming the kind of problem
 * @param title  a short summary of that kind
 * @param status the HTTP status
 * @param detail what went wrong this time and, where possible, what to do about it
 * @param traceId for a 5xx, the trace of the request (OpenTelemetry's trace id, also in the log lines), so that an
 *                operator goes from a user's error to what happened; absent otherwise
 */
// Returned inside Response entities, which the native build cannot trace to a JSON writer.
@RegisterForReflection
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Problem(String type, String title, int status, String detail, String traceId) {

    public Problem(String type, String title, int status, String detail) {
        this(type, title, status, detail, null);
    }

    /** This problem naming {@code trace}'s id when it is a 5xx and the trace is valid. */
    Problem tracedBy(SpanContext trace) {
        return status >= 500 && trace.isValid() ? new Problem(type, title, status, detail, trace.getTraceId()) : this;
    }

    /** The media type of problem responses. */
    public static final String MEDIA_TYPE = "application/problem+json";

    static Problem of(int status, String slug, String title, String detail) {
        return new Problem("urn:multimodal-rag:problem:" + slug, title, status, detail);
    }
}
