package io.multimodalrag.search;

/**
 * The knowledge base cannot serve this request: it is still loading, or its file could not be read, so that
 * what it would answer (no matches, an empty list) would not be the truth. Its message is safe to show to
 * clients and says what to do.
 */
public final class KnowledgeBaseUnavailableException extends RuntimeException {

    public KnowledgeBaseUnavailableException(String message) {
        super(message, null, false, false);
    }
}
