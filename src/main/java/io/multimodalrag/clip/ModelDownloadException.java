package io.multimodalrag.clip;

/**
 * The model could not be downloaded. The message says which file, why, and what to do next; it never
 * carries an access token, a signed URL or a stack trace, so it can be logged and shown as it is.
 */
public final class ModelDownloadException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public ModelDownloadException(String message) {
        super(message);
    }

    public ModelDownloadException(String message, Throwable cause) {
        super(message, cause);
    }
}
