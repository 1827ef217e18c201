package io.multimodalrag.search;

import io.multimodalrag.clip.ClipModel;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where the knowledge base's entries, images and embeddings are kept: the seam between the catalogue and its storage
 * (this side) and the snapshot and search ({@link KnowledgeBase}). Two stores implement it: {@link FilesStore}
 * (description.jsonl, image_database/ and the local embedding cache: the embedded default) and
 * {@link PostgresStore} (one database shared by every replica).
 *
 * <p>{@link KnowledgeBase} calls every method but {@link #image} under its write lock, one at a time, and publishes
 * the snapshot that follows from what the method returned; a method that throws has changed nothing a later load
 * would see.
 */
public interface KnowledgeBaseStore extends AutoCloseable {

    /** What a load found: the entries, row by row with their matrix, and what it skipped or embedded. */
    record Loaded(KnowledgeBaseSnapshot snapshot, int skipped, int embedded) {
    }

    /** An image on its way into the store, embedded already and checked against the snapshot for duplicates. */
    record NewImage(byte[] bytes, String contentHash, String mediaType, String description, Optional<String> id,
            float[] embedding) {
    }

    /**
     * Reads the whole catalogue and builds the snapshot to serve, embedding what has no embedding for {@code model}.
     *
     * @param serving the snapshot served now (empty before the first load)
     * @throws KnowledgeBase.CatalogueUnusableException when the catalogue cannot be read, or reads as empty by accident;
     *                                                  a load that may succeed by itself later
     */
    Loaded load(ClipModel model, KnowledgeBaseSnapshot serving);

    /**
     * The catalogue's usable entries in order, embedding nothing: what is listed, shown and edited while no model can
     * embed (the model missing, or not downloaded yet).
     *
     * @throws KnowledgeBase.CatalogueUnusableException as {@link #load} does
     */
    List<KnowledgeBaseEntry> browse();

    /** "files" or "postgresql", as {@code rag.knowledge-base.store} names it. */
    String kind();

    /** Drops what earlier loads read, so that the next load reads everything afresh (a start-up load, a retry). */
    default void forgetEarlierLoads() {
    }

    /** What an import did, and the snapshot with it applied. */
    record Imported(int added, int alreadyThere, int skipped, KnowledgeBaseSnapshot snapshot) {
    }

    /**
     * Imports {@code rag.knowledge-base.import-from} into this store, adding only what it does not hold.
     *
     * @throws ImportRefusedException when this store takes no imports, there is nothing to import, or it cannot be read
     */
    default Imported importCatalogue(KnowledgeBaseSnapshot current) {
        throw new ImportRefusedException("imports are into the postgresql store (rag.knowledge-base.store=postgresql);"
                + " this knowledge base is description.jsonl itself");
    }

    /** Stores {@code image} durably; returns the entry it became. */
    KnowledgeBaseEntry add(KnowledgeBaseSnapshot current, NewImage image);

    /** Replaces {@code old}'s description durably; returns the updated entry. */
    KnowledgeBaseEntry updateDescription(KnowledgeBaseEntry old, String description);

    /**
     * Removes {@code old} durably.
     *
     * @param next the snapshot without it, which is published once this returns
     */
    void remove(KnowledgeBaseEntry old, KnowledgeBaseSnapshot next);

    /** The bytes of {@code entry}'s image; blocks, so never on the event loop. Called without the write lock. */
    StoredImage image(KnowledgeBaseEntry entry);

    /**
     * Starts following changes made by others (other replicas), applying each to the snapshot through
     * {@code snapshots}; called once, after the first successful load. Stores that no one else writes ignore it.
     */
    default void follow(SnapshotUpdates snapshots) {
    }

    /** Conditions an operator should know of while the knowledge base is served, by name, for readiness. */
    Map<String, String> warnings();

    /** What the store is, for the logs: "description.jsonl at /srv/kb/description.jsonl". Never a secret. */
    String describe();

    /** Changes of the snapshot from outside a write of this replica. */
    interface SnapshotUpdates {
        /**
         * Runs {@code change} under the knowledge base's write lock, while it is loaded, and serves the snapshot it
         * returns; returns false without running it while the knowledge base is not loaded.
         */
        boolean apply(java.util.function.UnaryOperator<KnowledgeBaseSnapshot> change);
    }

    @Override
    void close();

}
