package io.multimodalrag.search;

/** An add that would duplicate an entry: the same image content, or an id already in use. */
public final class DuplicateEntryException extends RuntimeException {

    private final transient KnowledgeBaseEntry existing;

    public DuplicateEntryException(String message, KnowledgeBaseEntry existing) {
        super(message, null, false, false);
        this.existing = existing;
    }

    /** The entry already in the knowledge base. */
    public KnowledgeBaseEntry existing() {
        return existing;
    }
}
