package io.multimodalrag.clip;

/**
 * The CLIP model is missing, still loading, or could not be loaded. Its message is safe to show to
 * clients and says how to get the model.
 */
public final class ModelUnavailableException extends RuntimeException {

    public ModelUnavailableException(String message) {
        super(message);
    }

    public ModelUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
