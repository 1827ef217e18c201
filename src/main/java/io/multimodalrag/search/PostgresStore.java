package io.multimodalrag.search;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.multimodalrag.clip.ClipModel;
import io.multimodalrag.clip.ImageEncoder;
import io.multimodalrag.config.RagConfig;
import io.multimodalrag.files.ContentHash;
import io.multimodalrag.search.KnowledgeBase.CatalogueUnusableException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.jboss.logging.Logger;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.postgresql.PGStatement;

/**
 * The postgresql store: one database holds the entries, the image bytes and the embeddings (keyed by image content
 * hash and model fingerprint, so each image is embedded once per model for the whole fleet), and every replica serves
 * its own in-memory snapshot of it. Schema: {@code db/migration}, applied by Flyway at the first load.
 *
 * <p><b>Writes</b> are one transaction each, from any replica: acknowledged means committed. Every write ends by
 * taking a transaction-scoped advisory lock, a number from the change sequence and a {@code kb_change} row, then
 * {@code NOTIFY}: numbers become visible in commit order, so a replica that has applied every change up to n has
 * missed none below it.
 *
 * <p><b>Following</b>: a dedicated connection listens on {@value #CHANNEL}; on a notification, and every
 * {@code rag.knowledge-base.poll-interval} in case one was lost with a connection, the replica reads the changes
 * after the last it applied and applies the current state of each changed entry (present: added or described anew;
 * absent: removed). Applying a state is idempotent, so a change seen twice (a write of this replica, a catch-up that
 * overlaps) changes nothing the second time. Reads and applies run under the knowledge base's write lock, so a state
 * read is never older than what this replica published.
 *
 * <p><b>Embedding work is shared</b>: a replica missing embeddings for its model claims batches of images with
 * {@code FOR NO KEY UPDATE SKIP LOCKED}, so replicas starting together each take different images, and a replica
 * that dies releases its batch with its transaction.
 *
 * <p><b>Failures</b>: an unreachable database at the first load leaves the knowledge base not ready and retried; lost
 * while serving, searches go on from the snapshot, writes fail with nothing half-written (503), and the follower
 * reconnects and catches up. Messages never carry the connection's credentials.
 */
final class PostgresStore implements KnowledgeBaseStore {

    private static final Logger LOG = Logger.getLogger(PostgresStore.class);

    /** The channel changes are announced on. */
    static final String CHANNEL = "kb_changes";

    /** The advisory lock that orders change numbers ("kb-chang" in ASCII). */
    private static final long CHANGE_LOCK = 0x6b622d6368616e67L;

    private static final int CHANGES_PER_READ = 1000;
    private static final int ENTRIES_PER_IMPORT_TRANSACTION = 100;
    /** The most image bytes one embedding batch reads into memory (a batch always takes at least one image). */
    private static final long BATCH_BYTES = 64L << 20;
    private static final Duration PROGRESS_EVERY = Duration.ofSeconds(5);
    /** The longest wait for one answer of the database (not a whole transaction; the pool resets it). */
    private static final Duration NETWORK_TIMEOUT = Duration.ofSeconds(30);
    private static final Pattern PASSWORD = Pattern.compile("(?i)(password|passwd|pwd)=[^&\\s;]*");

    /** How the store reaches its database: a pool, and the schema's migration. */
    record Database(Supplier<DataSource> dataSource, Runnable migrate) {
    }

    /** What an import added. */
    private record Counts(int added, int alreadyThere, int skipped) {
    }

    private final Database database;
    private final ImageEncoder encoder;
    private final ObjectMapper json;
    private final RagConfig.KnowledgeBase config;
    private final int maxBatch;
    private final MatrixScanner scanner;
    private DataSource dataSource;
    private boolean migrated;
    private ClipModel model;
    private String fingerprint;
    /** The last change applied to the served snapshot; guarded by the knowledge base's write lock. */
    private long applied;
    private volatile String databaseWarning;
    private volatile boolean closed;
    private volatile Thread follower;

    PostgresStore(Database database, ImageEncoder encoder, ObjectMapper json, RagConfig config, MatrixScanner scanner) {
        this.database = database;
        this.encoder = encoder;
        this.json = json;
        this.config = config.knowledgeBase();
        this.maxBatch = Math.max(1, config.encoder().maxBatch());
        this.scanner = scanner;
    }

    @Override
    public String describe() {
        return "PostgreSQL (quarkus.datasource)";
    }

    @Override
    public String kind() {
        return "postgresql";
    }

    @Override
    public Map<String, String> warnings() {
        String warning = databaseWarning;
        return warning == null ? Map.of() : Map.of("database", warning);
    }

    @Override
    public void close() {
        closed = true;
        Thread thread = follower;
        if (thread != null) {
            thread.interrupt();
        }
    }

    /** The last change the served snapshot includes. */
    long appliedChange() {
        return applied;
    }

    /**
     * Makes the next catch-up read every change from the first: what a replica does whose sequence was lost (a
     * database restored from an older backup). Applying a change twice changes nothing; the tests check it.
     */
    void replayAllChanges() {
        applied = 0;
    }

    // --- loading ---------------------------------------------------------------------------------------------------

    @Override
    public Loaded load(ClipModel loadedModel, KnowledgeBaseSnapshot serving) {
        migrateOnce();
        useModel(loadedModel);
        try {
            if (config.importFrom().isPresent() && countEntries() == 0) {
                Counts imported = importFrom(config.importFrom().get());
                LOG.infof("imported %s into the empty database: %d entries added, %d already there (imported by"
                        + " another replica starting with this one), %d skipped", config.importFrom().get()
                        .toAbsolutePath(), imported.added(), imported.alreadyThere(), imported.skipped());
            }
            int embedded = embedMissing();
            return readAll(embedded);
        } catch (SQLException e) {
            throw unreachable("it could not be read", e);
        }
    }

    /** Sets the model the store embeds with (load does; the tests, for a replica's share of the embedding work). */
    void useModel(ClipModel loadedModel) {
        if (model != loadedModel) {
            fingerprint = ImageEncoder.embeddingFingerprint(loadedModel);
            model = loadedModel;
        }
    }

    private DataSource dataSource() {
        if (dataSource == null) {
            try {
                dataSource = database.dataSource().get();
            } catch (RuntimeException e) {
                // An inactive datasource: no URL configured. Nothing will change that without a restart.
                throw new CatalogueUnusableException("rag.knowledge-base.store=postgresql needs a database: set"
                        + " quarkus.datasource.jdbc.url (QUARKUS_DATASOURCE_JDBC_URL) and its username and password"
                        + " (see the README, Several replicas)", false);
            }
        }
        return dataSource;
    }

    private CatalogueUnusableException unreachable(String what, Exception e) {
        String reason = reason(e);
        return new CatalogueUnusableException("the knowledge-base database cannot be used: " + what + " (" + reason
                + "); retrying");
    }

    /** Checks that a database is configured (failing at once, with what to set) and migrates its schema once. */
    private void migrateOnce() {
        dataSource();
        if (!migrated) {
            try {
                database.migrate().run();
                migrated = true;
            } catch (RuntimeException e) {
                throw unreachable("its schema could not be migrated", e);
            }
        }
    }

    @Override
    public List<KnowledgeBaseEntry> browse() {
        migrateOnce();
        try {
            return transaction("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", c -> {
                List<KnowledgeBaseEntry> entries = new ArrayList<>();
                try (PreparedStatement s = c.prepareStatement("SELECT id, image_path, description, content_hash,"
                        + " media_type FROM kb_entry ORDER BY position")) {
                    s.setFetchSize(2000);
                    try (ResultSet rs = s.executeQuery()) {
                        while (rs.next()) {
                            entries.add(entry(rs));
                        }
                    }
                }
                return entries;
            });
        } catch (SQLException e) {
            throw unreachable("it could not be read", e);
        }
    }

    private Loaded readAll(int embedded) throws SQLException {
        return transaction("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", c -> {
            long last = lastChange(c);
            List<KnowledgeBaseEntry> entries = new ArrayList<>();
            EmbeddingMatrix.Builder matrix = EmbeddingMatrix.builder(model.dimensions(), scanner);
            int skipped = 0;
            try (PreparedStatement s = c.prepareStatement("SELECT e.id, e.image_path, e.description, e.content_hash,"
                    + " e.media_type, v.vector, v.failure FROM kb_entry e LEFT JOIN kb_embedding v"
                    + " ON v.model = ? AND v.content_hash = e.content_hash ORDER BY e.position")) {
                s.setString(1, fingerprint);
                s.setFetchSize(2000); // a cursor: 100,000 vectors do not sit in the driver's memory at once
                // Binary results from the first execution: the vectors arrive as their bytes, not as hex text
                // twice their size for the driver to decode (pgJDBC goes binary only for statements it has
                // prepared on the server, by default from their fifth execution).
                s.unwrap(PGStatement.class).setPrepareThreshold(-1);
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        KnowledgeBaseEntry entry = entry(rs);
                        byte[] vector = rs.getBytes(6);
                        if (vector == null || vector.length != model.dimensions() * Float.BYTES) {
                            skipped++;
                            LOG.warnf("knowledge-base entry %s is skipped: %s", entry.id(), vector == null
                                    ? "its image cannot be embedded (" + rs.getString(7) + ")"
                                    : "its stored embedding has " + vector.length / Float.BYTES + " dimensions");
                            continue;
                        }
                        matrix.appendRow((target, offset) -> decode(vector, target, offset));
                        entries.add(entry);
                    }
                }
            }
            applied = last;
            return new Loaded(KnowledgeBaseSnapshot.of(entries, matrix.build()), skipped, embedded);
        });
    }

    private long countEntries() throws SQLException {
        try (Connection c = connection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT count(*) FROM kb_entry")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    // --- shared embedding work -------------------------------------------------------------------------------------

    /**
     * Embeds the stored images that have no embedding for the loaded model, sharing the work with any replica doing
     * the same; returns how many this replica embedded. Returns once no image lacks one.
     */
    int embedMissing() throws SQLException {
        long total = countMissing();
        if (total == 0) {
            return 0;
        }
        LOG.infof("%d stored images have no embedding for this model yet; embedding them, shared with any other"
                + " replica doing the same", total);
        int mine = 0;
        long started = System.nanoTime();
        long logged = started;
        while (!closed) {
            int[] claimed = new int[1];
            mine += transaction(null, c -> embedClaimed(c, claimed));
            long now = System.nanoTime();
            if (claimed[0] == 0 || now - logged >= PROGRESS_EVERY.toNanos()) {
                long left = countMissing();
                if (left == 0) {
                    break;
                }
                if (now - logged >= PROGRESS_EVERY.toNanos()) {
                    logged = now;
                    logProgress(total, left, mine, (now - started) / 1e9);
                }
                if (claimed[0] == 0) {
                    sleepQuietly(Duration.ofMillis(500)); // the rest are being embedded by other replicas
                }
            }
        }
        LOG.infof("embedding done: %d images embedded here in %.1f s, the rest by other replicas", mine,
                (System.nanoTime() - started) / 1e9);
        return mine;
    }

    private static void logProgress(long total, long left, int mine, double seconds) {
        long done = total - left;
        double rate = done / Math.max(seconds, 1e-9);
        long eta = rate > 0 ? Math.round(left / rate) : -1;
        LOG.infof("embedding: %d/%d images done across replicas (%d here, %.1f images/s in all), about %s left", done,
                total, mine, rate, eta < 0 ? "?" : Duration.ofSeconds(eta).toString().substring(2).toLowerCase());
    }

    private long countMissing() throws SQLException {
        try (Connection c = connection(); PreparedStatement s = c.prepareStatement(
                "SELECT count(*) FROM kb_image i WHERE NOT EXISTS (SELECT 1 FROM kb_embedding v"
                        + " WHERE v.model = ? AND v.content_hash = i.content_hash)")) {
            s.setString(1, fingerprint);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** Claims a batch of images nobody else is embedding, embeds them and records the result; returns how many. */
    private int embedClaimed(Connection c, int[] claimed) throws SQLException {
        List<String> hashes = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement("SELECT i.content_hash, octet_length(i.bytes) FROM kb_image i"
                + " WHERE NOT EXISTS (SELECT 1 FROM kb_embedding v WHERE v.model = ? AND v.content_hash = i.content_hash)"
                + " ORDER BY i.content_hash LIMIT ? FOR NO KEY UPDATE OF i SKIP LOCKED")) {
            s.setString(1, fingerprint);
            s.setInt(2, maxBatch);
            long bytes = 0;
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    bytes += rs.getLong(2);
                    if (!hashes.isEmpty() && bytes > BATCH_BYTES) {
                        break; // left for the next batch
                    }
                    hashes.add(rs.getString(1));
                }
            }
        }
        claimed[0] = hashes.size();
        if (hashes.isEmpty()) {
            return 0;
        }
        // Read again now that the rows are ours: the claim's snapshot predates the lock, so a replica that embedded
        // one of them and committed just before would not show there. A new statement sees what it committed.
        Map<String, byte[]> images = new HashMap<>();
        try (PreparedStatement s = c.prepareStatement("SELECT i.content_hash, i.bytes FROM kb_image i"
                + " WHERE i.content_hash = ANY (?) AND NOT EXISTS (SELECT 1 FROM kb_embedding v WHERE v.model = ?"
                + " AND v.content_hash = i.content_hash)")) {
            s.setArray(1, c.createArrayOf("text", hashes.toArray()));
            s.setString(2, fingerprint);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    images.put(rs.getString(1), rs.getBytes(2));
                }
            }
        }
        hashes.retainAll(images.keySet());
        if (hashes.isEmpty()) {
            return 0;
        }
        List<ImageEncoder.ImageSource> sources = hashes.stream()
                .map(hash -> (ImageEncoder.ImageSource) () -> images.get(hash)).toList();
        List<ImageEncoder.BatchItem> items = encoder.encodeImages(sources);
        int embedded = 0;
        try (PreparedStatement insert = c.prepareStatement("INSERT INTO kb_embedding (model, content_hash, vector,"
                + " failure) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING")) {
            for (int i = 0; i < hashes.size(); i++) {
                ImageEncoder.BatchItem item = items.get(i);
                insert.setString(1, fingerprint);
                insert.setString(2, hashes.get(i));
                insert.setBytes(3, item.embedding().map(PostgresStore::encode).orElse(null));
                insert.setString(4, item.embedding().isPresent() ? null
                        : item.failure().orElse("could not be embedded"));
                insert.addBatch();
                if (item.embedding().isPresent()) {
                    embedded++;
                } else {
                    LOG.warnf("stored image %s cannot be embedded: %s", hashes.get(i).substring(0, 16),
                            item.failure().orElse("?"));
                }
            }
            insert.executeBatch();
        }
        return embedded;
    }

    // --- writes ----------------------------------------------------------------------------------------------------

    @Override
    public KnowledgeBaseEntry add(KnowledgeBaseSnapshot current, NewImage image) {
        requireModel();
        try {
            return transaction(null, c -> {
                insertImage(c, image.contentHash(), image.mediaType(), image.bytes());
                insertEmbedding(c, image.contentHash(), image.embedding());
                long seq = takeChangeNumber(c);
                // Checked under the lock: no write of another replica can slip in between.
                Optional<KnowledgeBaseEntry> sameContent = entryWhere(c, "content_hash", image.contentHash());
                if (sameContent.isPresent()) {
                    throw DuplicateEntryException.sameContent(sameContent.get());
                }
                if (image.id().isPresent()) {
                    Optional<KnowledgeBaseEntry> sameId = entryWhere(c, "id", image.id().get());
                    if (sameId.isPresent()) {
                        throw DuplicateEntryException.sameId(sameId.get());
                    }
                }
                String imagePath = storedName(image.contentHash(), image.mediaType());
                String id = image.id().orElseGet(() -> FilesStore.uniqueId(Path.of(imagePath),
                        candidate -> current.hasId(candidate) || idTaken(c, candidate)));
                KnowledgeBaseEntry entry = new KnowledgeBaseEntry(id, imagePath, image.description(),
                        image.contentHash(), image.mediaType(), null);
                insertEntry(c, entry, seq);
                recordChange(c, seq, id);
                return entry;
            });
        } catch (SQLException e) {
            throw writeFailure(e);
        }
    }

    @Override
    public KnowledgeBaseEntry updateDescription(KnowledgeBaseEntry old, String description) {
        try {
            return transaction(null, c -> {
                long seq = takeChangeNumber(c);
                try (PreparedStatement s = c.prepareStatement("UPDATE kb_entry SET description = ?, updated_at = now()"
                        + " WHERE id = ? AND content_hash = ?")) {
                    s.setString(1, description);
                    s.setString(2, old.id());
                    s.setString(3, old.contentHash());
                    if (s.executeUpdate() == 0) {
                        throw new UnknownEntryException(old.id()); // removed by another replica a moment ago
                    }
                }
                recordChange(c, seq, old.id());
                return old.withDescription(description);
            });
        } catch (SQLException e) {
            throw writeFailure(e);
        }
    }

    @Override
    public void remove(KnowledgeBaseEntry old, KnowledgeBaseSnapshot next) {
        try {
            transaction(null, c -> {
                long seq = takeChangeNumber(c);
                try (PreparedStatement s = c.prepareStatement(
                        "DELETE FROM kb_entry WHERE id = ? AND content_hash = ?")) {
                    s.setString(1, old.id());
                    s.setString(2, old.contentHash());
                    if (s.executeUpdate() == 0) {
                        throw new UnknownEntryException(old.id());
                    }
                }
                // The bytes and their embeddings go with the last entry that shows them.
                try (PreparedStatement s = c.prepareStatement("DELETE FROM kb_image i WHERE content_hash = ?"
                        + " AND NOT EXISTS (SELECT 1 FROM kb_entry e WHERE e.content_hash = i.content_hash)")) {
                    s.setString(1, old.contentHash());
                    s.executeUpdate();
                }
                recordChange(c, seq, old.id());
                return null;
            });
        } catch (SQLException e) {
            throw writeFailure(e);
        }
    }

    @Override
    public StoredImage image(KnowledgeBaseEntry entry) {
        try (Connection c = connection(); PreparedStatement s = c.prepareStatement(
                "SELECT bytes FROM kb_image WHERE content_hash = ?")) {
            s.setString(1, entry.contentHash());
            try (ResultSet rs = s.executeQuery()) {
                if (!rs.next()) {
                    throw new UnknownEntryException(entry.id(), "the image of '" + entry.id() + "' is no longer in"
                            + " the knowledge base (removed by another replica?)");
                }
                return new StoredImage.InMemory(rs.getBytes(1));
            }
        } catch (SQLException e) {
            LOG.warnf("could not read the image of knowledge-base entry %s: %s", entry.id(), reason(e));
            throw new KnowledgeBaseStorageException("the image cannot be read: the knowledge-base database cannot be"
                    + " reached; retry shortly", e, true);
        }
    }

    /** Imports the configured {@code rag.knowledge-base.import-from}, embeds what it brought, and applies it. */
    @Override
    public Imported importCatalogue(KnowledgeBaseSnapshot current) {
        Path from = config.importFrom().orElseThrow(() -> new ImportRefusedException("no catalogue to import from:"
                + " set rag.knowledge-base.import-from to a description.jsonl"));
        requireModel();
        try {
            Counts counts = importFrom(from);
            embedMissing();
            return new Imported(counts.added(), counts.alreadyThere(), counts.skipped(), caughtUp(current));
        } catch (SQLException e) {
            throw writeFailure(e);
        }
    }

    /**
     * Copies the entries of a files knowledge base into the database: entries whose image is there already are left
     * as they are, so an import run again adds nothing twice. Embeddings come along from the files store's cache
     * where it holds them for this model.
     */
    private Counts importFrom(Path descriptions) throws SQLException {
        FilesStore source = new FilesStore(encoder, json, config, descriptions, maxBatch, scanner);
        try {
            int[] skipped = {0};
            List<FilesStore.CatalogueLine> lines;
            try {
                lines = source.readCatalogue(skipped);
            } catch (CatalogueUnusableException e) {
                throw new ImportRefusedException("nothing was imported: " + e.getMessage());
            }
            int added = 0;
            int already = 0;
            long started = System.nanoTime();
            long logged = started;
            for (int from = 0; from < lines.size(); from += ENTRIES_PER_IMPORT_TRANSACTION) {
                List<FilesStore.CatalogueLine> batch = lines.subList(from,
                        Math.min(lines.size(), from + ENTRIES_PER_IMPORT_TRANSACTION));
                int[] counts = transaction(null, c -> importBatch(c, source, batch));
                added += counts[0];
                already += counts[1];
                skipped[0] += counts[2];
                long now = System.nanoTime();
                if (now - logged >= PROGRESS_EVERY.toNanos()) {
                    logged = now;
                    int done = from + batch.size();
                    double rate = done / ((now - started) / 1e9);
                    LOG.infof("import: %d/%d entries read (%d added, %d already there, %d skipped; %.0f entries/s),"
                            + " about %d s left", done, lines.size(), added, already, skipped[0], rate,
                            Math.round((lines.size() - done) / rate));
                }
            }
            return new Counts(added, already, skipped[0]);
        } finally {
            source.close();
        }
    }

    private int[] importBatch(Connection c, FilesStore source, List<FilesStore.CatalogueLine> batch)
            throws SQLException {
        int[] counts = new int[3]; // added, already there, skipped
        // The change lock first: replicas importing at once (all started on an empty database) take turns, and each
        // sees what the one before committed.
        takeChangeLock(c);
        List<KnowledgeBaseEntry> toAdd = new ArrayList<>();
        for (FilesStore.CatalogueLine line : batch) {
            KnowledgeBaseEntry entry = line.entry();
            Optional<KnowledgeBaseEntry> sameContent = entryWhere(c, "content_hash", entry.contentHash());
            if (sameContent.isPresent()) {
                counts[1]++;
                continue;
            }
            if (entryWhere(c, "id", entry.id()).isPresent()) {
                counts[2]++;
                LOG.warnf("import: line %d is skipped: the id '%s' is already another image's", line.line(), entry.id());
                continue;
            }
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(entry.file());
            } catch (IOException e) {
                counts[2]++;
                LOG.warnf("import: line %d is skipped: %s cannot be read (%s)", line.line(), entry.imagePath(),
                        e.getMessage());
                continue;
            }
            if (!ContentHash.contentHash(bytes).equals(entry.contentHash())) {
                counts[2]++;
                LOG.warnf("import: line %d is skipped: %s changed while it was being imported", line.line(),
                        entry.imagePath());
                continue;
            }
            insertImage(c, entry.contentHash(), entry.mediaType(), bytes);
            Optional<float[]> cached = source.cachedEmbedding(model, entry.contentHash());
            if (cached.isPresent() && cached.get().length == model.dimensions()) {
                insertEmbedding(c, entry.contentHash(), cached.get());
            }
            toAdd.add(new KnowledgeBaseEntry(entry.id(), entry.imagePath(), entry.description(), entry.contentHash(),
                    entry.mediaType(), null));
        }
        for (KnowledgeBaseEntry entry : toAdd) {
            long seq = takeChangeNumber(c);
            insertEntry(c, entry, seq);
            recordChange(c, seq, entry.id());
            counts[0]++;
        }
        return counts;
    }

    private void requireModel() {
        if (model == null) {
            throw new IllegalStateException("the store has not been loaded");
        }
    }

    /** The name the files store would give the image: an import back into files keeps the same shape. */
    private String storedName(String contentHash, String mediaType) {
        return config.imagesDir().toString().replace('\\', '/') + "/" + contentHash.substring(0, 16) + "."
                + FilesStore.extension(mediaType);
    }

    private static void insertImage(Connection c, String contentHash, String mediaType, byte[] bytes)
            throws SQLException {
        try (PreparedStatement s = c.prepareStatement("INSERT INTO kb_image (content_hash, media_type, bytes)"
                + " VALUES (?, ?, ?) ON CONFLICT DO NOTHING")) {
            s.setString(1, contentHash);
            s.setString(2, mediaType);
            s.setBytes(3, bytes);
            s.executeUpdate();
        }
    }

    private void insertEmbedding(Connection c, String contentHash, float[] embedding) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("INSERT INTO kb_embedding (model, content_hash, vector)"
                + " VALUES (?, ?, ?) ON CONFLICT DO NOTHING")) {
            s.setString(1, fingerprint);
            s.setString(2, contentHash);
            s.setBytes(3, encode(embedding));
            s.executeUpdate();
        }
    }

    private static void insertEntry(Connection c, KnowledgeBaseEntry entry, long position) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("INSERT INTO kb_entry (id, image_path, description, content_hash,"
                + " media_type, position) VALUES (?, ?, ?, ?, ?, ?)")) {
            s.setString(1, entry.id());
            s.setString(2, entry.imagePath());
            s.setString(3, entry.description());
            s.setString(4, entry.contentHash());
            s.setString(5, entry.mediaType());
            s.setLong(6, position);
            s.executeUpdate();
        }
    }

    /**
     * The next change number, taken under the change lock, which is held until the transaction ends: the writes of
     * all replicas get their numbers in the order they commit.
     */
    private static long takeChangeNumber(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT pg_advisory_xact_lock(?), nextval('kb_change_seq')")) {
            s.setLong(1, CHANGE_LOCK);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getLong(2);
            }
        }
    }

    private static void takeChangeLock(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
            s.setLong(1, CHANGE_LOCK);
            s.executeQuery().close();
        }
    }

    /** Records change {@code seq} of entry {@code id} and announces it; the notification goes out at commit. */
    private static void recordChange(Connection c, long seq, String id) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("INSERT INTO kb_change (seq, entry_id) VALUES (?, ?)")) {
            s.setLong(1, seq);
            s.setString(2, id);
            s.executeUpdate();
        }
        try (PreparedStatement s = c.prepareStatement("SELECT pg_notify(?, ?)")) {
            s.setString(1, CHANNEL);
            s.setString(2, Long.toString(seq));
            s.executeQuery().close();
        }
    }

    private static Optional<KnowledgeBaseEntry> entryWhere(Connection c, String column, String value)
            throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT id, image_path, description, content_hash, media_type"
                + " FROM kb_entry WHERE " + column + " = ?")) {
            s.setString(1, value);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? Optional.of(entry(rs)) : Optional.empty();
            }
        }
    }

    private static boolean idTaken(Connection c, String id) {
        try {
            return entryWhere(c, "id", id).isPresent();
        } catch (SQLException e) {
            throw new SqlFailure(e);
        }
    }

    private static KnowledgeBaseEntry entry(ResultSet rs) throws SQLException {
        return new KnowledgeBaseEntry(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                rs.getString(5), null);
    }

    private KnowledgeBaseStorageException writeFailure(SQLException e) {
        LOG.errorf("a knowledge-base write failed, nothing was changed: %s", reason(e));
        return new KnowledgeBaseStorageException("the knowledge base could not be changed: its database cannot be"
                + " reached or refused the write; nothing was changed, retry shortly", e, true);
    }

    // --- following the changes of other replicas -------------------------------------------------------------------

    @Override
    public void follow(SnapshotUpdates snapshots) {
        Thread thread = new Thread(() -> followChanges(snapshots), "knowledge-base-changes");
        thread.setDaemon(true);
        follower = thread;
        thread.start();
    }

    private void followChanges(SnapshotUpdates snapshots) {
        long pollMillis = Math.max(10, config.pollInterval().toMillis());
        long backoff = 250;
        while (!closed) {
            try (Connection listener = connection()) {
                listener.setAutoCommit(true);
                try (Statement s = listener.createStatement()) {
                    s.execute("LISTEN " + CHANNEL);
                }
                PGConnection notifications = listener.unwrap(PGConnection.class);
                catchUp(snapshots); // what was committed before LISTEN took effect
                if (databaseWarning != null) {
                    LOG.infof("the knowledge-base database is back; caught up to change %d", applied);
                    databaseWarning = null;
                }
                backoff = 250;
                while (!closed) {
                    PGNotification[] received = notifications.getNotifications((int) pollMillis);
                    if (received == null || received.length == 0) {
                        try (Statement s = listener.createStatement()) {
                            s.execute("SELECT 1"); // a connection gone quietly shows here, not in the wait
                        }
                    }
                    catchUp(snapshots); // notified, or the poll interval passed: a notification may have been lost
                }
            } catch (SQLException | SqlFailure e) {
                if (closed) {
                    return;
                }
                if (databaseWarning == null) {
                    LOG.warnf("lost the knowledge-base database (%s): searches go on from the entries loaded, writes"
                            + " are refused until it is back; reconnecting", reason(e));
                }
                databaseWarning = "the knowledge-base database cannot be reached; searches are answered from the"
                        + " entries loaded before, writes are refused until it is back";
                if (!sleepQuietly(Duration.ofMillis(backoff))) {
                    return;
                }
                backoff = Math.min(backoff * 2, Math.max(pollMillis, 250));
            } catch (RuntimeException e) {
                if (closed) {
                    return;
                }
                LOG.errorf("following the knowledge base's changes failed (%s); starting again", e.toString());
                if (!sleepQuietly(Duration.ofMillis(Math.max(pollMillis, 250)))) {
                    return;
                }
            }
        }
    }

    /** Applies every change after the last one applied, a bounded read at a time. */
    private void catchUp(SnapshotUpdates snapshots) {
        boolean more = true;
        while (more && !closed) {
            boolean[] full = new boolean[1];
            more = snapshots.apply(current -> {
                try {
                    return caughtUp(current, full);
                } catch (SQLException e) {
                    throw new SqlFailure(e);
                }
            }) && full[0];
        }
    }

    /** The snapshot with every change up to the last committed applied; under the knowledge base's write lock. */
    KnowledgeBaseSnapshot caughtUp(KnowledgeBaseSnapshot current) {
        KnowledgeBaseSnapshot next = current;
        boolean[] full = {true};
        try {
            while (full[0]) {
                next = caughtUp(next, full);
            }
        } catch (SQLException e) {
            throw writeFailure(e);
        }
        return next;
    }

    /** The number of the last committed change; 0 before the first. */
    private static long lastChange(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT coalesce(max(seq), 0) FROM kb_change")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private record Change(long seq, String id, KnowledgeBaseEntry entry, byte[] vector, String failure) {
    }

    private KnowledgeBaseSnapshot caughtUp(KnowledgeBaseSnapshot current, boolean[] full) throws SQLException {
        List<Change> changes = new ArrayList<>();
        long lastCommitted = -1;
        try (Connection c = connection(); PreparedStatement s = c.prepareStatement(
                "SELECT c.seq, c.entry_id, e.id, e.image_path, e.description, e.content_hash, e.media_type, v.vector,"
                        + " v.failure FROM kb_change c LEFT JOIN kb_entry e ON e.id = c.entry_id"
                        + " LEFT JOIN kb_embedding v ON v.model = ? AND v.content_hash = e.content_hash"
                        + " WHERE c.seq > ? ORDER BY c.seq LIMIT " + CHANGES_PER_READ)) {
            s.setString(1, fingerprint);
            s.setLong(2, applied);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    KnowledgeBaseEntry entry = rs.getString(3) == null ? null : new KnowledgeBaseEntry(rs.getString(3),
                            rs.getString(4), rs.getString(5), rs.getString(6), rs.getString(7), null);
                    changes.add(new Change(rs.getLong(1), rs.getString(2), entry, rs.getBytes(8), rs.getString(9)));
                }
            }
            if (changes.isEmpty()) {
                lastCommitted = lastChange(c);
            }
        }
        full[0] = changes.size() == CHANGES_PER_READ;
        if (changes.isEmpty() && lastCommitted < applied) {
            // The sequence went back (a database restored from an older backup): what this replica holds may be
            // ahead of the database in ways no change row tells. Read it whole.
            LOG.warnf("the knowledge-base database's changes end at %d, before the %d this replica applied (restored"
                    + " from a backup?); reading it whole", lastCommitted, applied);
            return readAll(0).snapshot();
        }
        KnowledgeBaseSnapshot next = current;
        long last = applied;
        for (Change change : changes) {
            next = applied(next, change);
            last = change.seq();
        }
        applied = last; // only once the whole read is applied: a failure above leaves it to be read again
        return next;
    }

    /** {@code snapshot} with the entry of {@code change} as it is now: there, changed, or gone. */
    private KnowledgeBaseSnapshot applied(KnowledgeBaseSnapshot snapshot, Change change) throws SQLException {
        OptionalInt row = snapshot.rowOf(change.id());
        KnowledgeBaseEntry now = change.entry();
        if (now == null) {
            return row.isPresent() ? snapshot.minus(row.getAsInt()) : snapshot;
        }
        KnowledgeBaseSnapshot next = snapshot;
        if (row.isPresent()) {
            KnowledgeBaseEntry held = snapshot.entries().get(row.getAsInt());
            if (held.contentHash().equals(now.contentHash())) {
                return held.equals(now) ? snapshot : snapshot.with(row.getAsInt(), now);
            }
            next = snapshot.minus(row.getAsInt()); // the id was removed and given to another image since
        }
        float[] embedding = change.vector() != null ? decode(change.vector()) : null;
        if (embedding == null && change.failure() == null) {
            embedding = embedNow(now);
        }
        if (embedding == null || embedding.length != model.dimensions()) {
            LOG.warnf("knowledge-base entry %s is not searchable here: its image cannot be embedded", now.id());
            return next;
        }
        return next.plus(now, embedding);
    }

    /** Embeds an entry added by a replica with another model, and stores the embedding for the next replica. */
    private float[] embedNow(KnowledgeBaseEntry entry) throws SQLException {
        byte[] bytes;
        try {
            bytes = image(entry).bytes();
        } catch (UnknownEntryException e) {
            return null; // removed since; its change follows
        } catch (KnowledgeBaseStorageException e) {
            throw new SqlFailure((SQLException) e.getCause()); // the database lost: the follower reconnects
        }
        ImageEncoder.BatchItem item = encoder.encodeImages(List.of(() -> bytes)).get(0);
        try (Connection c = connection()) {
            if (item.embedding().isPresent()) {
                insertEmbedding(c, entry.contentHash(), item.embedding().get());
            }
        }
        return item.embedding().orElse(null);
    }

    // --- helpers ---------------------------------------------------------------------------------------------------

    /**
     * A pooled connection whose every wait for the database is bounded: a database that hangs (not down, stuck)
     * fails a write after {@link #NETWORK_TIMEOUT} instead of holding the knowledge base's write lock for ever.
     */
    private Connection connection() throws SQLException {
        Connection c = dataSource().getConnection();
        try {
            c.setNetworkTimeout(Runnable::run, (int) NETWORK_TIMEOUT.toMillis());
        } catch (SQLException | RuntimeException e) {
            c.close();
            throw e;
        }
        return c;
    }

    /** Work inside one transaction. */
    @FunctionalInterface
    private interface SqlWork<T> {
        T run(Connection c) throws SQLException;
    }

    /** A SQL failure inside work that cannot throw {@link SQLException}. */
    private static final class SqlFailure extends RuntimeException {
        SqlFailure(SQLException cause) {
            super(cause.getMessage(), cause, false, false);
        }
    }

    /** Runs {@code work} in one transaction, beginning with {@code first} if given; rolls back whatever it throws. */
    private <T> T transaction(String first, SqlWork<T> work) throws SQLException {
        try (Connection c = connection()) {
            c.setAutoCommit(false);
            try {
                if (first != null) {
                    try (Statement s = c.createStatement()) {
                        s.execute(first);
                    }
                }
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                try {
                    c.rollback();
                } catch (SQLException rollback) {
                    e.addSuppressed(rollback);
                }
                if (e instanceof SqlFailure failure) {
                    throw (SQLException) failure.getCause();
                }
                throw e;
            } finally {
                try {
                    c.setAutoCommit(true);
                } catch (SQLException ignored) {
                    // the connection is broken; the pool drops it
                }
            }
        }
    }

    /** What went wrong, for a log line: the database's own message, any password in it blanked. */
    static String reason(Throwable e) {
        Throwable cause = e;
        while (cause != null && !(cause instanceof SQLException)) {
            cause = cause.getCause();
        }
        Throwable shown = cause != null ? cause : e;
        String message = String.valueOf(shown.getMessage());
        if (shown instanceof SQLException sql && sql.getSQLState() != null) {
            message = message + " [SQLState " + sql.getSQLState() + "]";
        }
        return PASSWORD.matcher(message).replaceAll("$1=****");
    }

    static byte[] encode(float[] embedding) {
        ByteBuffer bytes = ByteBuffer.allocate(embedding.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(embedding);
        return bytes.array();
    }

    static float[] decode(byte[] vector) {
        float[] embedding = new float[vector.length / Float.BYTES];
        decode(vector, embedding, 0);
        return embedding;
    }

    private static boolean decode(byte[] vector, float[] target, int offset) {
        ByteBuffer.wrap(vector).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(target, offset,
                vector.length / Float.BYTES);
        return true;
    }

    private static boolean sleepQuietly(Duration time) {
        try {
            Thread.sleep(time.toMillis());
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

}
