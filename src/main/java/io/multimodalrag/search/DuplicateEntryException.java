package io.multimodalrag.search;

/** An add that would duplicate an entry: the same image content, or an id already in use. */
public final class DuplicateEntryException extends RuntimeException {

    private final transient KnowledgeBaseEntry existing;

    public DuplicateEntryException(String message, KnowledgeBaseEntry existing) {
        super(message, null, false, false);
        this.existing = existing;
    }

    /** An add of an image that {@code existing} already shows. */
    public static DuplicateEntryException sameContent(KnowledgeBaseEntry existing) {
        return new DuplicateEntryException("this image is already in the knowledge base as '" + existing.id() + "'",
                existing);
    }

    /** An add under the id of {@code existing}. */
    public static DuplicateEntryException sameId(KnowledgeBaseEntry existing) {
        return new DuplicateEntryException("the id '" + existing.id() + "' is already taken", existing);
    }

    /** The entry already in the knowledge base. */
    public KnowledgeBaseEntry existing() {
        return existing;
    }
}
