package io.multimodalrag.search;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.multimodalrag.clip.ClipModel;
import io.multimodalrag.clip.ImageEncoder;
import io.multimodalrag.clip.LoadStatus;
import io.multimodalrag.clip.ModelLoader;
import io.multimodalrag.config.RagConfig;
import io.multimodalrag.files.ContentHash;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;

/**
 * The knowledge base as the service serves it: an immutable {@link KnowledgeBaseSnapshot} of the entries and the
 * matrix of their embeddings, searched by exact inner product, over a {@link KnowledgeBaseStore} that keeps the
 * catalogue, the images and the embeddings (description.jsonl and its folder, or PostgreSQL). Loaded at start-up.
 *
 * <p>A load that finds the catalogue absent, unreadable or empty by accident is refused
 * ({@link CatalogueUnusableException}), leaving the snapshot being served as it was, or, at start-up, the knowledge
 * base not ready with the reason; {@code StartupSequence} tries again.
 *
 * <p>Readers never wait: they use the current snapshot. Writers (add, update, remove, reload, and changes the store
 * reports from other replicas) are serialised by one lock, change the store first and then publish a new snapshot.
 */
@ApplicationScoped
public class KnowledgeBase {

    private static final Logger LOG = Logger.getLogger(KnowledgeBase.class);

    /** Ids given by clients or written in description.jsonl: URL-safe, short. */
    public static final Pattern ID_PATTERN = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    /**
     * Loading status: entries skipped with a warning, images embedded by the last load (the rest came from the cache
     * or the store), and a reason while not ready.
     *
     * @param retryable whether a failed load may succeed by itself later (the file absent, unreadable or emptied, the
     *                  database unreachable)
     */
    public record State(LoadStatus status, int skipped, int embedded, String reason, boolean retryable) {

        State(LoadStatus status, int skipped, int embedded, String reason) {
            this(status, skipped, embedded, reason, false);
        }
    }

    /** A load refused because the catalogue cannot be read, or reads as empty when it should not. */
    static final class CatalogueUnusableException extends RuntimeException {
        private final boolean retryable;

        /** A refusal that may pass by itself: a file back in place, a database reachable again. */
        CatalogueUnusableException(String message) {
            this(message, true);
        }

        CatalogueUnusableException(String message, boolean retryable) {
            super(message, null, false, false);
            this.retryable = retryable;
        }

        boolean retryable() {
            return retryable;
        }
    }

    private final ModelLoader models;
    private final ImageEncoder encoder;
    private final KnowledgeBaseStore store;
    private final MatrixScanner scanner;
    private final Tracer tracer;
    private final Counter embeddingsStored;
    private final Counter embeddingsMade;
    private final ReentrantLock writeLock = new ReentrantLock();
    /** Why the last reload was refused while the snapshot loaded before is served; null after a load succeeds. */
    private volatile String reloadWarning;
    /** Whether the snapshot is the catalogue listed without a model ({@link #browseWithoutModel}). */
    private volatile boolean browsable;
    /** Loads and reloads begun, for a caller that retries to see whether someone else has loaded meanwhile. */
    private final AtomicInteger loads = new AtomicInteger();
    /** Whether the store has been asked to follow changes made elsewhere; guarded by {@link #writeLock}. */
    private boolean following;
    private volatile KnowledgeBaseSnapshot snapshot = KnowledgeBaseSnapshot.empty();
    private volatile State state = new State(LoadStatus.LOADING, 0, 0, "the knowledge base is loading");

    @Inject
    public KnowledgeBase(ModelLoader models, ImageEncoder encoder, ObjectMapper json, RagConfig config,
            KnowledgeBaseStores stores, Tracer tracer, MeterRegistry registry) {
        this.models = models;
        this.tracer = tracer;
        Gauge.builder("rag.knowledge.base.entries", this, kb -> kb.snapshot.entries().size())
                .description("Entries of the knowledge base served now").register(registry);
        for (LoadStatus status : LoadStatus.values()) {
            Gauge.builder("rag.knowledge.base.state", this, kb -> kb.state.status() == status ? 1 : 0)
                    .tag("state", status.name().toLowerCase(java.util.Locale.ROOT))
                    .description("1 for the knowledge base's load state (loading, ready, failed), 0 for the others")
                    .register(registry);
        }
        this.embeddingsStored = Counter.builder("rag.embedding.cache.hits")
                .description("Images whose embedding a load found stored (the embedding cache, or the database)")
                .register(registry);
        this.embeddingsMade = Counter.builder("rag.embedding.cache.misses")
                .description("Images a load had to embed, their embedding not stored yet").register(registry);
        this.encoder = encoder;
        this.scanner = MatrixScanner.create(
                config.search().threads().orElse(Runtime.getRuntime().availableProcessors()));
        LOG.infof("exact search: kernel %s; up to %d threads per search", scanner.kernelDescription(),
                scanner.threads());
        this.store = stores.create(config, encoder, json, scanner);
    }

    @PreDestroy
    void stopSearchThreads() {
        scanner.close();
        writeLock.lock();
        try {
            store.close();
        } finally {
            writeLock.unlock();
        }
    }

    public KnowledgeBaseSnapshot snapshot() {
        return snapshot;
    }

    public State state() {
        return state;
    }

    /** How many loads and reloads have begun since start-up. */
    public int loadCount() {
        return loads.get();
    }

    /** Which store keeps the knowledge base: "files" or "postgresql". */
    public String storeKind() {
        return store.kind();
    }

    /** Where the store keeps it, for people: description.jsonl's absolute path, or the database. */
    public String storeLocation() {
        return store.describe();
    }

    /**
     * The {@code k} entries most similar to {@code image}: checked to be loaded before anything is embedded, then the
     * image embedded on the worker pool and searched, best first. The decoded image is handed to {@code alsoDecoded}
     * as {@link ImageEncoder#encode(byte[], Consumer)} says.
     *
     * @throws KnowledgeBaseUnavailableException while the knowledge base is not loaded
     */
    public Uni<List<SearchHit>> searchImage(byte[] image, Consumer<BufferedImage> alsoDecoded, int k, float minScore) {
        requireLoaded();
        Context trace = Context.current(); // the embedding arrives on the encoder's pool, outside the request's context
        return encoder.encode(image, alsoDecoded).map(vector -> search(trace, vector, k, minScore));
    }

    /**
     * The {@code k} entries most similar to {@code query} (a unit vector), best first.
     *
     * @throws KnowledgeBaseUnavailableException while the knowledge base is not loaded: no matches then would be a lie
     */
    public List<SearchHit> search(float[] query, int k, float minScore) {
        return search(Context.current(), query, k, minScore);
    }

    /** {@link #search(float[], int, float)}, traced as a span of {@code trace}. */
    private List<SearchHit> search(Context trace, float[] query, int k, float minScore) {
        requireLoaded();
        KnowledgeBaseSnapshot current = snapshot;
        Span span = tracer.spanBuilder("rag.search").setParent(trace)
                .setAttribute("rag.search.k", k).setAttribute("rag.search.entries", current.entries().size()).startSpan();
        try {
            if (current.entries().isEmpty()) {
                return List.of();
            }
            List<SearchHit> hits = current.matrix().topK(query, k, minScore).stream()
                    .map(row -> new SearchHit(current.entries().get(row.row()), row.score()))
                    .toList();
            span.setAttribute("rag.search.hits", hits.size());
            return hits;
        } finally {
            span.end();
        }
    }

    public Optional<KnowledgeBaseEntry> find(String id) {
        KnowledgeBaseSnapshot current = snapshot;
        OptionalInt row = current.rowOf(id);
        return row.isEmpty() ? Optional.empty() : Optional.of(current.entries().get(row.getAsInt()));
    }

    /** The bytes of {@code entry}'s image, from its store; blocks, so never on the event loop. */
    public StoredImage image(KnowledgeBaseEntry entry) {
        return store.image(entry);
    }

    /** The bytes of {@code entry}'s image, read whole. */
    public byte[] imageBytes(KnowledgeBaseEntry entry) {
        return store.image(entry).bytes();
    }

    /**
     * Loads the knowledge base from its store, reading everything afresh, and embeds what has no embedding yet.
     * Called at start-up, after the model, off the event loop, and again while a start-up load keeps failing for a
     * reason that may pass. Never throws.
     */
    public void load() {
        loads.incrementAndGet();
        if (models.state().model().isEmpty()) {
            browseWithoutModel();
            return;
        }
        writeLock.lock();
        try {
            store.forgetEarlierLoads();
            state = loadNow();
            reloadWarning = null;
        } catch (CatalogueUnusableException e) {
            LOG.warnf("the knowledge base is not loaded: %s", e.getMessage());
            state = new State(LoadStatus.FAILED, 0, 0, e.getMessage(), e.retryable());
        } catch (RuntimeException e) {
            LOG.error("loading the knowledge base failed", e);
            state = new State(LoadStatus.FAILED, state.skipped(), 0, "loading failed: " + e.getMessage());
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * Without a model nothing can be embedded or searched, but the catalogue can still be listed, shown and edited:
     * reads it without embeddings. The knowledge base stays not ready.
     */
    private void browseWithoutModel() {
        String noModel = "no CLIP model to embed the images with (see the clip-model check)";
        writeLock.lock();
        try {
            List<KnowledgeBaseEntry> entries = store.browse();
            snapshot = KnowledgeBaseSnapshot.catalogue(entries);
            browsable = true;
            LOG.infof("knowledge base listed without a model: %d entries from %s; search and adding images wait for"
                    + " the CLIP model", entries.size(), store.describe());
            state = new State(LoadStatus.FAILED, 0, 0, noModel + "; its entries can be listed, viewed and edited"
                    + " meanwhile");
        } catch (CatalogueUnusableException e) {
            LOG.warnf("the knowledge base cannot be listed either: %s", e.getMessage());
            state = new State(LoadStatus.FAILED, 0, 0, noModel + "; and " + e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("listing the knowledge base without a model failed", e);
            state = new State(LoadStatus.FAILED, 0, 0, noModel);
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * Reads the store again, embedding only new or changed images: for teams that change description.jsonl behind
     * the service's back, or to resynchronise with the database at once. Searches go on against the old snapshot
     * until the new one is ready.
     *
     * @throws KnowledgeBaseUnavailableException when the catalogue cannot be read or reads as empty by accident:
     *                                           nothing changed, the current snapshot is still served
     */
    public State reload() {
        loads.incrementAndGet();
        models.require();
        writeLock.lock();
        try {
            State reloaded = loadNow();
            state = reloaded;
            reloadWarning = null;
            return reloaded;
        } catch (CatalogueUnusableException e) {
            LOG.warnf("reload refused, still serving the %d entries loaded before: %s", snapshot.entries().size(),
                    e.getMessage());
            if (state.status() != LoadStatus.READY) {
                state = new State(LoadStatus.FAILED, 0, 0, e.getMessage(), e.retryable());
            } else {
                reloadWarning = "the last reload was refused, the entries loaded before are served: " + e.getMessage();
            }
            throw new KnowledgeBaseUnavailableException("the reload was refused and nothing changed: " + e.getMessage());
        } finally {
            writeLock.unlock();
        }
    }

    private State loadNow() {
        ClipModel model = models.require();
        KnowledgeBaseStore.Loaded loaded = store.load(model, snapshot);
        snapshot = loaded.snapshot();
        int entries = loaded.snapshot().entries().size();
        embeddingsMade.increment(loaded.embedded());
        embeddingsStored.increment(Math.max(0, entries - loaded.embedded()));
        LOG.infof("knowledge base ready: %d entries from %s (%d embedded now, the rest stored before), %d skipped",
                entries, store.describe(), loaded.embedded(), loaded.skipped());
        if (!following) {
            following = true;
            store.follow(this::applyFromStore);
        }
        return new State(LoadStatus.READY, loaded.skipped(), loaded.embedded(), "loaded " + entries + " entries");
    }

    /** Serves the snapshot {@code change} makes of the current one: a change the store saw made elsewhere. */
    private boolean applyFromStore(UnaryOperator<KnowledgeBaseSnapshot> change) {
        writeLock.lock();
        try {
            if (state.status() != LoadStatus.READY) {
                return false;
            }
            snapshot = change.apply(snapshot);
            return true;
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * Adds an image: refuses a duplicate before spending work on it, embeds it on the worker pool, then has the store
     * keep it durably and makes it searchable.
     *
     * @param requestedId the client's id, or empty to derive one from the stored file name
     */
    public Uni<KnowledgeBaseEntry> add(byte[] image, String description, Optional<String> requestedId) {
        requireLoaded();
        String contentHash = ContentHash.contentHash(image);
        checkNotDuplicate(snapshot, contentHash, requestedId);
        // The store writes files or a transaction: on a worker thread, not the encoder's.
        return encoder.encode(image).emitOn(Infrastructure.getDefaultWorkerPool())
                .map(embedding -> store(image, contentHash, description, requestedId, embedding));
    }

    private KnowledgeBaseEntry store(byte[] image, String contentHash, String description, Optional<String> requestedId,
            float[] embedding) {
        String mediaType = ImageEncoder.mediaType(image).orElseThrow(); // the encoder has decoded it already
        writeLock.lock();
        try {
            requireLoaded(); // a failed reload may have happened while the image was embedded
            KnowledgeBaseSnapshot current = snapshot;
            checkNotDuplicate(current, contentHash, requestedId);
            KnowledgeBaseEntry entry = store.add(current, new KnowledgeBaseStore.NewImage(image, contentHash, mediaType,
                    description, requestedId, embedding));
            snapshot = current.plus(entry, embedding);
            LOG.infof("added knowledge-base image %s (%s)", entry.id(), entry.imagePath());
            return entry;
        } finally {
            writeLock.unlock();
        }
    }

    /** Replaces an entry's description; also while the catalogue is only browsed (no model). */
    public KnowledgeBaseEntry updateDescription(String id, String description) {
        requireBrowsable();
        writeLock.lock();
        try {
            KnowledgeBaseSnapshot current = snapshot;
            int row = rowOf(current, id);
            KnowledgeBaseEntry updated = store.updateDescription(current.entries().get(row), description);
            snapshot = current.with(row, updated);
            LOG.infof("updated the description of knowledge-base image %s", id);
            return updated;
        } finally {
            writeLock.unlock();
        }
    }

    /** Removes an entry, with its image once no other entry shows it; also while the catalogue is only browsed. */
    public KnowledgeBaseEntry remove(String id) {
        requireBrowsable();
        writeLock.lock();
        try {
            KnowledgeBaseSnapshot current = snapshot;
            int row = rowOf(current, id);
            KnowledgeBaseEntry old = current.entries().get(row);
            KnowledgeBaseSnapshot next = current.minus(row);
            store.remove(old, next);
            snapshot = next;
            LOG.infof("removed knowledge-base image %s (%s)", id, old.imagePath());
            return old;
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * Imports {@code rag.knowledge-base.import-from} into the postgresql store, adding only what it does not hold, and
     * serves the result at once.
     *
     * @throws ImportRefusedException with the files store, without a catalogue to import, or when it cannot be read
     */
    public ImportResult importCatalogue() {
        requireLoaded();
        writeLock.lock();
        try {
            long started = System.nanoTime();
            KnowledgeBaseStore.Imported imported = store.importCatalogue(snapshot);
            snapshot = imported.snapshot();
            LOG.infof("import: %d entries added, %d already there, %d skipped", imported.added(), imported.alreadyThere(),
                    imported.skipped());
            return new ImportResult(imported.added(), imported.alreadyThere(), imported.skipped(),
                    snapshot.entries().size(), (System.nanoTime() - started) / 1_000_000);
        } finally {
            writeLock.unlock();
        }
    }

    /** What an import did, and the knowledge base after it. */
    public record ImportResult(int added, int alreadyThere, int skipped, int entries, long tookMs) {
    }

    /**
     * Fails while no snapshot read from the catalogue is being served: still loading, or the load failed. Callers
     * check it before spending work on a request that needs the knowledge base.
     *
     * @throws KnowledgeBaseUnavailableException (or the model's own exception when the model is what is missing)
     */
    public void requireLoaded() {
        State current = state;
        if (current.status() != LoadStatus.READY) {
            models.require();
            throw notLoaded(current);
        }
    }

    private static KnowledgeBaseUnavailableException notLoaded(State state) {
        return new KnowledgeBaseUnavailableException(state.status() == LoadStatus.LOADING
                ? "the knowledge base is still loading; retry shortly"
                : "the knowledge base is not loaded: " + state.reason());
    }

    /**
     * Refuses reads of the catalogue while it is neither loaded nor browsed without a model (its file missing, say):
     * a knowledge base that could not be read is never listed as empty.
     *
     * @throws KnowledgeBaseUnavailableException as {@link #requireLoaded()} does
     */
    public void requireBrowsable() {
        State current = state;
        if (current.status() != LoadStatus.READY && !browsable) {
            throw notLoaded(current);
        }
    }

    private static int rowOf(KnowledgeBaseSnapshot snapshot, String id) {
        return snapshot.rowOf(id).orElseThrow(() -> new UnknownEntryException(id));
    }

    private static void checkNotDuplicate(KnowledgeBaseSnapshot snapshot, String contentHash,
            Optional<String> requestedId) {
        Optional<KnowledgeBaseEntry> sameContent = snapshot.withContent(contentHash);
        if (sameContent.isPresent()) {
            throw DuplicateEntryException.sameContent(sameContent.get());
        }
        if (requestedId.isPresent() && snapshot.hasId(requestedId.get())) {
            throw DuplicateEntryException.sameId(snapshot.entries().get(snapshot.rowOf(requestedId.get()).getAsInt()));
        }
    }

    /** Why the last reload was refused, while the entries loaded before it are still served. */
    public Optional<String> reloadWarning() {
        return Optional.ofNullable(reloadWarning);
    }

    /** What the store reports for the operator (the embedding cache not written, the database lost), by name. */
    public Map<String, String> storeWarnings() {
        return store.warnings();
    }
}
