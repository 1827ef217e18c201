package io.multimodalrag.answer;

/**
 * The {@code error} object of an OpenAI-style error body, which some gateways also send with a
 * 200 status or as a chunk of a stream.
 *
 * @param message what went wrong, in the upstream's words
 * @param type    the upstream's category, e.g. {@code invalid_request_error}
 */
public record UpstreamError(String message, String type) {
}
