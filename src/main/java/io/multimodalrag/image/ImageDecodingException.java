package io.multimodalrag.image;

import java.util.Objects;

/**
 * Uploaded bytes could not be turned into an image. {@link #getMessage()} is a short sentence that is safe to show
 * to the client (no class names, stack traces or paths) and says what to do next; the cause, if any, is for logs.
 */
public final class ImageDecodingException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Why decoding failed; the HTTP layer maps the first three to 415 and the last two to 422. */
    public enum Reason {
        /** No bytes at all. */
        EMPTY,
        /** The bytes are not an image in any format we know of (text, a PDF, random data). */
        NOT_AN_IMAGE,
        /** A real image format that this service does not decode (TIFF, HEIC, AVIF, SVG ...). */
        UNSUPPORTED_FORMAT,
        /** A supported format, but the data is truncated or damaged. */
        CORRUPT,
        /** Width × height exceeds the configured limit (or decoding would not fit in memory). */
        TOO_MANY_PIXELS
    }

    private final Reason reason;

    public ImageDecodingException(Reason reason, String message) {
        this(reason, message, null);
    }

    public ImageDecodingException(Reason reason, String message, Throwable cause) {
        super(Objects.requireNonNull(message, "message"), cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public Reason reason() {
        return reason;
    }
}
