package io.multimodalrag.search;

/**
 * A write to the knowledge base's store failed (a read-only volume, a full disk, missing permissions, the database
 * unreachable); nothing was changed, in the store or in memory. Its message is safe to show to clients.
 */
public final class KnowledgeBaseStorageException extends RuntimeException {

    private final boolean passing;

    public KnowledgeBaseStorageException(String message, Throwable cause) {
        this(message, cause, false);
    }

    /** @param passing whether the cause is likely to pass by itself (a database being restarted) */
    public KnowledgeBaseStorageException(String message, Throwable cause, boolean passing) {
        super(message, cause);
        this.passing = passing;
    }

    /** Whether a retry in a few seconds may succeed: answered with a Retry-After. */
    public boolean passing() {
        return passing;
    }
}
