package io.multimodalrag.clip;

/**
 * Where something the service loads at start-up stands: the CLIP model ({@link ModelLoader}), and the knowledge base
 * embedded with it. Readiness is UP only when both are {@link #READY}.
 */
public enum LoadStatus {
    /** Loading, or not yet started. */
    LOADING,
    /** Loaded and serving. */
    READY,
    /** Loading failed; the state's reason says why. */
    FAILED
}
