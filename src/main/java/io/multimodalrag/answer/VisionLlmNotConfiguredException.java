package io.multimodalrag.answer;

/**
 * /v1/ask was called but no API key is configured. The message is safe to show and says how to
 * configure one; image search keeps working without it.
 */
public final class VisionLlmNotConfiguredException extends RuntimeException {

    public VisionLlmNotConfiguredException() {
        super("vision LLM not configured: set the environment variable RAG_LLM_API_KEY (rag.llm.api-key) and restart;"
                + " for a local Ollama or vLLM any value will do. Image search works without it.", null, false, false);
    }
}
