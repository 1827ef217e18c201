package io.multimodalrag.search;

/**
 * A write to the knowledge base's files failed (a read-only volume, a full disk, missing
 * permissions); nothing was changed in memory. Its message is safe to show to clients.
 */
public final class KnowledgeBaseStorageException extends RuntimeException {

    public KnowledgeBaseStorageException(String message, Throwable cause) {
        super(message, cause);
    }
}
