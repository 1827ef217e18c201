package io.multimodalrag.api;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * An RFC 9457 problem detail, the one error shape of every endpoint ({@code application/problem+json}).
 *
 * @param type   a stable URI naming the kind of problem
 * @param title  a short summary of that kind
 * @param status the HTTP status
 * @param detail what went wrong this time and, where possible, what to do about it
 */
// Returned inside Response entities, which the native build cannot trace to a JSON writer.
@RegisterForReflection
public record Problem(String type, String title, int status, String detail) {

    /** The media type of problem responses. */
    public static final String MEDIA_TYPE = "application/problem+json";

    static Problem of(int status, String slug, String title, String detail) {
        return new Problem("urn:multimodal-rag:problem:" + slug, title, status, detail);
    }
}
