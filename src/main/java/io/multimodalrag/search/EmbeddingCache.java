package io.multimodalrag.search;

import io.multimodalrag.files.ContentHash;
import io.multimodalrag.files.DurableFiles;
import java.io.EOFException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.CRC32C;

import org.jboss.logging.Logger;

/**
 * Embeddings already computed, keyed by the {@linkplain ContentHash content hash} of each image and kept on disk per
 * model, so that a restart re-embeds only images that are new or changed.
 *
 * <p><b>One file per model.</b> The cache for a model fingerprint lives in
 * {@code <directory>/embeddings-<first 16 hex characters of the fingerprint>.bin}. The full fingerprint is stored in
 * the file and compared on load, so a prefix collision reads as a miss. Files of other fingerprints are left alone:
 * switching back to an earlier model finds its cache intact, and deleting stale files is left to the operator.
 *
 * <p><b>An append-only log.</b> The file is a header followed by fixed-length records, each one a put (hash and
 * vector) or a removal (hash), each with its own checksum; the last record of a hash wins. {@link #save()} appends
 * the records of what changed since the last save in one write and forces them to disk, so adding one image costs one
 * record of {@value #RECORD_OVERHEAD_BYTES} bytes plus 4 per dimension and one {@code fsync}, whatever the size of the
 * cache. Removals and replacements leave dead records behind; when they are more than half of the file's records,
 * the save <em>compacts</em>: it writes the live entries to {@code <file>.tmp}, forces it, renames it over the file
 * atomically ({@link DurableFiles#move}) and forces the directory, so a crash leaves the old file or the new
 * one. Each dead record was paid for by one change, and a compaction rewrites at most twice as many live records as
 * there are dead ones, so the cost per change stays constant on average. A leftover {@code .tmp} is never read and is
 * overwritten by the next compaction. One directory must not be shared by two running processes using the same
 * model: they would append to one file and share that temporary file.
 *
 * <p><b>Never fatal on load.</b> A missing file means an empty cache. A file whose header is unusable (not a cache,
 * truncated inside the header, header checksum wrong, an unknown format version, another dimension count) is ignored
 * with a WARN log and the cache starts empty; the first save with something to write replaces it. A file of another
 * model is a miss, logged at INFO. Damage after the header costs only the records it touches: a record whose checksum
 * fails is skipped with a WARN and the records after it are still read, since records have a fixed length; an
 * incomplete record at the end (an append cut short by a crash) is cut off with a WARN. Skipping a damaged record can
 * only lose an entry or bring back an entry that a later removal or put had superseded, and such an entry still holds
 * the embedding of that content by that model, so no lookup ever returns a wrong vector. A damaged file, and one
 * whose dead records exceed half of it, is compacted straight away by {@link #open}; should that fail (a read-only
 * directory), the cache still works and the next save tries again.
 *
 * <p><b>Version 1</b> files (one checksummed block, written whole on every save, before this format) are read and
 * converted: {@link #open} streams their entries into a version-2 file beside them, checks the old checksum, and
 * renames the new file over the old one, logging it at INFO. If the old file is damaged, or the conversion cannot be
 * written, it is ignored with a WARN as above.
 *
 * <p><b>File format</b> (little-endian throughout, version 2):
 * <pre>
 *   header:  8 bytes magic "MMRAGEMB" (ASCII), int32 format version (2), int32 dimensions,
 *            int32 fingerprint length in bytes, the fingerprint as UTF-8 (lower-case hex),
 *            int32 CRC32C of the header's bytes before it
 *   records: int32 kind (1 = put, 2 = removal), 32 bytes raw SHA-256 of the image,
 *            dimensions x float32 embedding (zeros in a removal), int32 CRC32C of the record's bytes before it
 * </pre>
 *
 * <p><b>Memory.</b> Vectors written to the file are not kept in the heap: the cache holds, per entry, its hash and
 * the offset of its record, and {@link #get} and {@link #copyInto} read the record from the file (the page cache,
 * normally) and check its checksum. A record that no longer reads back intact is a miss, logged at WARN, and the next
 * save compacts the file. Only vectors put since the last save are held in the heap until it writes them.
 *
 * <p><b>Threads.</b> Every method may be called from any thread at any time. {@link #contains}, {@link #size}, and
 * {@link #get} and {@link #copyInto} of an entry not yet saved, never wait. {@link #put}, {@link #retainOnly},
 * {@link #save()}, {@link #close()}, and {@link #get} and {@link #copyInto} of a saved entry take one lock of the
 * cache, so each sees the others' effects whole; a save writes every change made before it took the lock, and a
 * change made while it runs waits for it and is written by the next save.
 */
public final class EmbeddingCache implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(EmbeddingCache.class);

    private static final byte[] MAGIC = "MMRAGEMB".getBytes(StandardCharsets.US_ASCII);
    private static final int FORMAT_VERSION = 2;
    private static final int FORMAT_VERSION_1 = 1;
    /** Magic, version, dimensions and fingerprint length. */
    private static final int FIXED_HEADER_BYTES = MAGIC.length + 3 * Integer.BYTES;
    /** Version 1: magic, version, dimensions, entry count and fingerprint length. */
    private static final int V1_FIXED_HEADER_BYTES = MAGIC.length + 4 * Integer.BYTES;
    private static final int CHECKSUM_BYTES = Integer.BYTES;
    private static final int HASH_BYTES = 32;
    /** Kind, hash and checksum: a record's bytes besides its vector. */
    static final int RECORD_OVERHEAD_BYTES = Integer.BYTES + HASH_BYTES + CHECKSUM_BYTES;
    private static final int KIND_PUT = 1;
    private static final int KIND_REMOVE = 2;
    private static final int MAX_FINGERPRINT_CHARS = 1024;
    /** Size of the I/O buffer: large enough that channel calls are few, small enough to never matter for memory. */
    private static final int CHUNK_BYTES = 1 << 20;
    private static final HexFormat HEX = HexFormat.of();

    /**
     * Where an entry's vector is. {@code pending == null}: in the record at {@code offset}. Otherwise the vector is
     * {@code pending}, not yet written, and {@code offset} is the record of an earlier save that it supersedes (still
     * live on disk until the next save), or -1.
     */
    private record Slot(long offset, float[] pending) {
    }

    /** Null when the cache is disabled. */
    private final Path directory;
    /** Null when the cache is disabled. */
    private final Path file;
    private final String modelFingerprint;
    private final int dimensions;
    private final int recordBytes;
    private final ConcurrentHashMap<String, Slot> index;
    private final ReentrantLock lock = new ReentrantLock();

    // Guarded by lock.
    /** Keys put since the last save, in order. */
    private final Set<String> pendingPuts = new LinkedHashSet<>();
    /** Keys removed since the last save whose put record is still live on disk, with that record's offset. */
    private final Map<String, Long> pendingRemovals = new LinkedHashMap<>();
    /** Length of the header and the whole records in the file: where the next record goes. */
    private long fileEnd;
    /** Records in the file, live and dead. */
    private long fileRecords;
    /** Whether the file on disk is the one {@link #fileEnd} describes, so that records may be appended to it. */
    private boolean appendable;
    /** Whether the next save must compact even with nothing new to write (damage seen in the file). */
    private boolean repairWanted;
    /** Opened on the first read of a saved vector; reopened after a compaction replaces the file. */
    private RandomAccessFile reader;

    private EmbeddingCache(Path directory, String modelFingerprint, int dimensions, Loaded loaded) {
        this.directory = directory;
        this.file = directory == null ? null : directory.resolve(fileName(modelFingerprint));
        this.modelFingerprint = modelFingerprint;
        this.dimensions = dimensions;
        this.recordBytes = recordBytes(dimensions);
        this.index = loaded.index;
        this.fileEnd = loaded.fileEnd;
        this.fileRecords = loaded.records;
        this.appendable = loaded.appendable;
        this.repairWanted = loaded.repairWanted;
    }

    /**
     * Opens the cache for one model, loading its file if it is present and valid, and compacting it if it is damaged
     * or mostly dead records. Never fails because of the file's contents; see the class documentation. A missing
     * directory is created only when {@link #save()} has something to write.
     *
     * @param directory        where cache files live
     * @param modelFingerprint hex string identifying the model file (for example its SHA-256), case-insensitive
     * @param dimensions       length of every embedding; must be positive
     * @return the cache, possibly empty
     * @throws IllegalArgumentException if the fingerprint is empty, longer than 1024 characters or not hex, or
     *                                  {@code dimensions <= 0}
     */
    public static EmbeddingCache open(Path directory, String modelFingerprint, int dimensions) {
        Objects.requireNonNull(directory, "directory");
        String fingerprint = canonicalFingerprint(modelFingerprint);
        requirePositiveDimensions(dimensions);
        Path file = directory.resolve(fileName(fingerprint));
        deleteLeftoverTemporaryFile(directory.resolve(file.getFileName() + ".tmp"));
        EmbeddingCache cache = new EmbeddingCache(directory, fingerprint, dimensions,
                load(directory, file, fingerprint, dimensions));
        if (cache.repairWanted || cache.mostlyDead()) {
            cache.lock.lock();
            try {
                cache.compact();
            } catch (UncheckedIOException e) {
                LOG.warnf("Could not compact the embedding cache %s (%s); the next save tries again", file,
                        e.getMessage());
            } finally {
                cache.lock.unlock();
            }
        }
        return cache;
    }

    /**
     * Returns a cache held in memory only, for when caching is switched off: it works within one run, and
     * {@link #save()} does nothing.
     *
     * @param dimensions length of every embedding; must be positive
     * @return an empty in-memory cache
     * @throws IllegalArgumentException if {@code dimensions <= 0}
     */
    public static EmbeddingCache disabled(int dimensions) {
        requirePositiveDimensions(dimensions);
        return new EmbeddingCache(null, null, dimensions, Loaded.empty(false));
    }

    /**
     * Looks up the embedding of an image.
     *
     * @param contentHash the image's content hash: 64 hex characters, case-insensitive
     * @return a copy of the cached embedding, or empty if the image is not cached (or its record no longer reads back
     *         intact)
     * @throws IllegalArgumentException if the argument is not 64 hex characters
     */
    public Optional<float[]> get(String contentHash) {
        float[] embedding = new float[dimensions];
        return copyInto(contentHash, embedding, 0) ? Optional.of(embedding) : Optional.empty();
    }

    /**
     * Whether the embedding of an image is cached, without reading it.
     *
     * @param contentHash the image's content hash: 64 hex characters, case-insensitive
     * @return true when {@link #get} would find it, unless its record is found damaged when read
     * @throws IllegalArgumentException if the argument is not 64 hex characters
     */
    public boolean contains(String contentHash) {
        return index.containsKey(canonicalContentHash(contentHash));
    }

    /**
     * Copies the cached embedding of an image into {@code target} at {@code offset}, for building a matrix without a
     * temporary copy per row.
     *
     * @param contentHash the image's content hash: 64 hex characters, case-insensitive
     * @param target      where to copy the embedding
     * @param offset      index in {@code target} of its first value
     * @return true when it was cached and copied; false leaves {@code target} unchanged
     * @throws IllegalArgumentException  if the hash is not 64 hex characters
     * @throws IndexOutOfBoundsException if the embedding does not fit in {@code target} at {@code offset}
     */
    public boolean copyInto(String contentHash, float[] target, int offset) {
        String key = canonicalContentHash(contentHash);
        Objects.checkFromIndexSize(offset, dimensions, target.length);
        Slot slot = index.get(key);
        if (slot == null) {
            return false;
        }
        if (slot.pending() != null) {
            System.arraycopy(slot.pending(), 0, target, offset, dimensions);
            return true;
        }
        lock.lock();
        try {
            // Looked up again: a save or compaction may have moved it meanwhile.
            slot = index.get(key);
            if (slot == null) {
                return false;
            }
            if (slot.pending() != null) {
                System.arraycopy(slot.pending(), 0, target, offset, dimensions);
                return true;
            }
            ByteBuffer record = readSavedRecord(key, slot.offset());
            if (record == null) {
                return false;
            }
            record.position(Integer.BYTES + HASH_BYTES).asFloatBuffer().get(target, offset, dimensions);
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stores the embedding of an image, replacing any earlier one; {@link #save()} writes it. The array is copied.
     *
     * @param contentHash the image's content hash: 64 hex characters, case-insensitive
     * @param embedding   the embedding; its length must equal the cache's dimensions
     * @throws IllegalArgumentException if the hash is not 64 hex characters or the embedding has the wrong length
     */
    public void put(String contentHash, float[] embedding) {
        String key = canonicalContentHash(contentHash);
        Objects.requireNonNull(embedding, "embedding");
        if (embedding.length != dimensions) {
            throw new IllegalArgumentException(
                    "embedding has " + embedding.length + " dimensions, the cache holds " + dimensions);
        }
        float[] copy = embedding.clone();
        lock.lock();
        try {
            Slot previous = index.get(key);
            // Re-putting an identical embedding is common after a restart and must not write anything.
            if (previous != null && sameEmbedding(key, previous, copy)) {
                return;
            }
            Long removedRecord = pendingRemovals.remove(key);
            long supersededRecord = previous != null ? previous.offset() : removedRecord != null ? removedRecord : -1;
            index.put(key, new Slot(supersededRecord, copy));
            if (file != null) {
                pendingPuts.add(key);
            }
        } finally {
            lock.unlock();
        }
    }

    /** @return the number of cached embeddings */
    public int size() {
        return index.size();
    }

    /**
     * Drops every entry whose content hash is not in the given set, for images no longer in the knowledge base;
     * {@link #save()} records the removals. Strings in the set that are not content hashes match nothing.
     *
     * @param contentHashes the content hashes to keep, case-insensitive
     */
    public void retainOnly(Set<String> contentHashes) {
        Objects.requireNonNull(contentHashes, "contentHashes");
        Set<String> keep = new HashSet<>(contentHashes.size() * 2);
        for (String hash : contentHashes) {
            keep.add(hash.toLowerCase(Locale.ROOT));
        }
        lock.lock();
        try {
            for (String key : new ArrayList<>(index.keySet())) {
                if (!keep.contains(key)) {
                    drop(key);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Drops the embedding of one image, if cached: the same as {@link #retainOnly} with every other hash, without a
     * set of them. The next save writes the removal.
     *
     * @param contentHash the image's content hash: 64 hex characters, case-insensitive
     * @throws IllegalArgumentException if the argument is not 64 hex characters
     */
    public void remove(String contentHash) {
        String key = canonicalContentHash(contentHash);
        lock.lock();
        try {
            drop(key);
        } finally {
            lock.unlock();
        }
    }

    /** Removes {@code key} from the index and notes what the next save must write; the lock is held. */
    private void drop(String key) {
        Slot removed = index.remove(key);
        if (removed != null && file != null) {
            pendingPuts.remove(key);
            if (removed.offset() >= 0) {
                pendingRemovals.put(key, removed.offset());
            }
        }
    }

    /**
     * Writes what changed since the cache was opened or last saved: appends one record per change and forces the file
     * to disk, then compacts it if dead records are now more than half of it. Does nothing when nothing changed, and
     * always for a {@linkplain #disabled(int) disabled} cache.
     *
     * @throws UncheckedIOException if the file cannot be written; the cache keeps every entry in memory, the file
     *                              keeps every record it held (an append cut short is cut off by the next load), and
     *                              the next save rewrites the file whole
     */
    public void save() {
        if (file == null) {
            return;
        }
        lock.lock();
        try {
            if (pendingPuts.isEmpty() && pendingRemovals.isEmpty() && !repairWanted) {
                return;
            }
            if (!appendable || repairWanted || !fileIsAsWritten()) {
                compact();
                return;
            }
            append();
            if (mostlyDead()) {
                compact();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Closes the file handle used to read saved vectors. The cache stays usable: a later read reopens it. */
    @Override
    public void close() {
        lock.lock();
        try {
            closeReader();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        return "EmbeddingCache[" + (file == null ? "disabled" : file.toString()) + ", entries=" + index.size()
                + ", dimensions=" + dimensions + "]";
    }

    private boolean mostlyDead() {
        return file != null && fileRecords - index.size() > fileRecords / 2;
    }

    /** Whether the file still has the length this cache wrote; anything else means it was changed behind our back. */
    private boolean fileIsAsWritten() {
        try {
            return Files.size(file) == fileEnd;
        } catch (IOException e) {
            return false;
        }
    }

    private void append() {
        List<String> puts = new ArrayList<>(pendingPuts);
        List<String> removals = new ArrayList<>(pendingRemovals.keySet());
        long[] offsets = new long[puts.size()];
        long end = fileEnd;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.position(fileEnd);
            RecordWriter writer = new RecordWriter(channel, end);
            for (int i = 0; i < puts.size(); i++) {
                offsets[i] = writer.put(HEX.parseHex(puts.get(i)), index.get(puts.get(i)).pending());
            }
            for (String key : removals) {
                writer.remove(HEX.parseHex(key), dimensions);
            }
            end = writer.finish();
            channel.force(true);
        } catch (IOException e) {
            // Whatever reached the file past fileEnd is a torn tail to the next load; this process rewrites instead.
            appendable = false;
            throw new UncheckedIOException("Could not append to the embedding cache " + file + ": " + e, e);
        }
        for (int i = 0; i < puts.size(); i++) {
            index.put(puts.get(i), new Slot(offsets[i], null));
        }
        fileRecords += puts.size() + removals.size();
        fileEnd = end;
        pendingPuts.clear();
        pendingRemovals.clear();
        LOG.debugf("Appended %d records to %s", puts.size() + removals.size(), file);
    }

    /** Rewrites the file with only the live entries, atomically. Entries whose record cannot be read are dropped. */
    private void compact() {
        List<String> keys = new ArrayList<>(index.keySet());
        // Sorted so that the same contents always give the same bytes.
        keys.sort(null);
        Path temporary = directory.resolve(file.getFileName() + ".tmp");
        Map<String, Long> offsets = new LinkedHashMap<>(keys.size() * 2);
        long end;
        try {
            Files.createDirectories(directory);
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                RecordWriter writer = new RecordWriter(channel, 0);
                writer.header(modelFingerprint, dimensions);
                for (String key : keys) {
                    Slot slot = index.get(key);
                    if (slot.pending() != null) {
                        offsets.put(key, writer.put(HEX.parseHex(key), slot.pending()));
                    } else {
                        ByteBuffer record = readSavedRecord(key, slot.offset());
                        if (record != null) {
                            offsets.put(key, writer.record(record.rewind()));
                        }
                    }
                }
                end = writer.finish();
                channel.force(true);
            }
            DurableFiles.move(temporary, file);
            DurableFiles.forceDirectory(directory);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(temporary);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw new UncheckedIOException("Could not save the embedding cache to " + file + ": " + e, e);
        }
        closeReader(); // it reads the replaced file
        for (Map.Entry<String, Long> entry : offsets.entrySet()) {
            index.put(entry.getKey(), new Slot(entry.getValue(), null));
        }
        long dead = fileRecords - index.size();
        fileRecords = offsets.size();
        fileEnd = end;
        appendable = true;
        repairWanted = false;
        pendingPuts.clear();
        pendingRemovals.clear();
        LOG.infof("Saved %d cached embeddings to %s (compacted; %d dead records dropped)", offsets.size(), file,
                Math.max(0, dead));
    }

    /**
     * Reads, under the lock, the put record of {@code key} at {@code offset} and checks it. On any failure the entry
     * is dropped with a WARN, the next save compacts, and null is returned.
     */
    private ByteBuffer readSavedRecord(String key, long offset) {
        byte[] bytes = new byte[recordBytes];
        String problem;
        try {
            if (reader == null) {
                reader = new RandomAccessFile(file.toFile(), "r");
            }
            reader.seek(offset);
            reader.readFully(bytes);
            ByteBuffer record = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            byte[] hash = new byte[HASH_BYTES];
            record.get(Integer.BYTES, hash);
            if (record.getInt(0) == KIND_PUT && checksumMatches(record, 0, recordBytes)
                    && HEX.formatHex(hash).equals(key)) {
                return record;
            }
            problem = "it no longer holds that entry intact";
        } catch (IOException e) {
            problem = e.toString();
            closeReader();
        }
        LOG.warnf("Could not read the cached embedding of %s at offset %d of %s (%s); dropping it", key, offset, file,
                problem);
        index.remove(key);
        repairWanted = true;
        return null;
    }

    private boolean sameEmbedding(String key, Slot slot, float[] embedding) {
        if (slot.pending() != null) {
            return Arrays.equals(slot.pending(), embedding);
        }
        ByteBuffer record = readSavedRecord(key, slot.offset());
        if (record == null) {
            return false;
        }
        float[] saved = new float[dimensions];
        record.position(Integer.BYTES + HASH_BYTES).asFloatBuffer().get(saved);
        return Arrays.equals(saved, embedding);
    }

    private void closeReader() {
        if (reader != null) {
            try {
                reader.close();
            } catch (IOException e) {
                LOG.debugf("Could not close %s: %s", file, e);
            }
            reader = null;
        }
    }

    /** A compaction or conversion cut short by a crash: never read, and only this process writes it. */
    private static void deleteLeftoverTemporaryFile(Path temporary) {
        try {
            if (Files.deleteIfExists(temporary)) {
                LOG.infof("Deleted %s, left by a crash during a compaction", temporary);
            }
        } catch (IOException e) {
            LOG.debugf("Could not delete %s: %s", temporary, e);
        }
    }

    private static String fileName(String fingerprint) {
        return "embeddings-" + fingerprint.substring(0, Math.min(16, fingerprint.length())) + ".bin";
    }

    /** What {@link #load} found: the index and the state of the file. */
    private record Loaded(ConcurrentHashMap<String, Slot> index, long fileEnd, long records, boolean appendable,
            boolean repairWanted) {

        static Loaded empty(boolean repairWanted) {
            return new Loaded(new ConcurrentHashMap<>(), 0, 0, false, repairWanted);
        }
    }

    private static Loaded load(Path directory, Path file, String fingerprint, int dimensions) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            int version = readVersion(channel);
            if (version == FORMAT_VERSION_1) {
                return upgradeVersion1(channel, directory, file, fingerprint, dimensions);
            }
            if (version != FORMAT_VERSION) {
                throw new CacheFormatException("format version " + version + ", expected " + FORMAT_VERSION);
            }
            return readLog(channel, file, fingerprint, dimensions);
        } catch (NoSuchFileException e) {
            LOG.infof("No embedding cache at %s yet; starting empty", file);
        } catch (FingerprintMismatchException e) {
            LOG.infof("Embedding cache %s belongs to another model (%s); starting empty", file, e.getMessage());
        } catch (IOException | RuntimeException e) {
            LOG.warnf("Ignoring unusable embedding cache %s (%s); starting empty", file, e.getMessage());
        }
        return Loaded.empty(false);
    }

    /** Reads the magic and the version, leaving the channel at position 0. */
    private static int readVersion(FileChannel channel) throws IOException {
        ByteBuffer start = ByteBuffer.allocate(MAGIC.length + Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        if (channel.size() < start.capacity()) {
            throw new CacheFormatException("file is truncated: " + channel.size() + " bytes");
        }
        readFully(channel, start, null);
        byte[] magic = new byte[MAGIC.length];
        start.get(magic);
        if (!Arrays.equals(magic, MAGIC)) {
            throw new CacheFormatException("not an embedding cache file");
        }
        channel.position(0);
        return start.getInt();
    }

    private static Loaded readLog(FileChannel channel, Path file, String fingerprint, int dimensions)
            throws IOException {
        long fileSize = channel.size();
        if (fileSize < FIXED_HEADER_BYTES + CHECKSUM_BYTES) {
            throw new CacheFormatException("file is truncated: " + fileSize + " bytes");
        }
        ByteBuffer fixed = ByteBuffer.allocate(FIXED_HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        readFully(channel, fixed, null);
        int fingerprintBytes = fixed.getInt(FIXED_HEADER_BYTES - Integer.BYTES);
        if (fingerprintBytes < 0 || fingerprintBytes > MAX_FINGERPRINT_CHARS
                || fileSize < FIXED_HEADER_BYTES + fingerprintBytes + CHECKSUM_BYTES) {
            throw new CacheFormatException("corrupt or truncated header");
        }
        ByteBuffer rest = ByteBuffer.allocate(fingerprintBytes + CHECKSUM_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        readFully(channel, rest, null);
        CRC32C checksum = new CRC32C();
        checksum.update(fixed.rewind());
        checksum.update(rest.slice(0, fingerprintBytes));
        if ((int) checksum.getValue() != rest.getInt(fingerprintBytes)) {
            throw new CacheFormatException("header checksum mismatch (corrupt)");
        }
        // The version was checked by the caller; the header is intact, so what it says can be trusted.
        int fileDimensions = fixed.getInt(MAGIC.length + Integer.BYTES);
        if (fileDimensions != dimensions) {
            throw new CacheFormatException("written for " + fileDimensions + " dimensions, expected " + dimensions);
        }
        String fileFingerprint = new String(rest.array(), 0, fingerprintBytes, StandardCharsets.UTF_8);
        if (!fileFingerprint.equals(fingerprint)) {
            throw new FingerprintMismatchException("file fingerprint " + fileFingerprint);
        }

        long headerBytes = FIXED_HEADER_BYTES + fingerprintBytes + CHECKSUM_BYTES;
        int recordBytes = recordBytes(dimensions);
        long records = (fileSize - headerBytes) / recordBytes;
        long tornBytes = (fileSize - headerBytes) % recordBytes;
        ConcurrentHashMap<String, Slot> index = new ConcurrentHashMap<>((int) Math.min(Integer.MAX_VALUE / 2,
                Math.max(16, records)));
        ByteBuffer chunk = ByteBuffer.allocate(chunkBytes(recordBytes)).order(ByteOrder.LITTLE_ENDIAN);
        int recordsPerChunk = chunk.capacity() / recordBytes;
        byte[] hash = new byte[HASH_BYTES];
        long damaged = 0;
        long lastDamaged = -1;
        for (long done = 0; done < records; ) {
            int inChunk = (int) Math.min(recordsPerChunk, records - done);
            chunk.clear().limit(inChunk * recordBytes);
            readFully(channel, chunk, null);
            for (int slot = 0; slot < inChunk; slot++) {
                int at = slot * recordBytes;
                long offset = headerBytes + (done + slot) * recordBytes;
                int kind = chunk.getInt(at);
                if (!checksumMatches(chunk, at, recordBytes) || (kind != KIND_PUT && kind != KIND_REMOVE)) {
                    damaged++;
                    lastDamaged = done + slot;
                    continue;
                }
                chunk.get(at + Integer.BYTES, hash);
                String key = HEX.formatHex(hash);
                if (kind == KIND_PUT) {
                    index.put(key, new Slot(offset, null));
                } else {
                    index.remove(key);
                }
            }
            done += inChunk;
        }
        // Damaged records that run to the end of the file, and a partial record there, are an append cut short.
        long tornRecords = 0;
        if (damaged > 0 && lastDamaged == records - 1) {
            tornRecords = 1;
            while (tornRecords < damaged && !intact(channel, headerBytes, recordBytes, records - 1 - tornRecords)) {
                tornRecords++;
            }
        }
        if (tornBytes > 0 || tornRecords > 0) {
            LOG.warnf("Embedding cache %s ends in an incomplete write (%d damaged records, %d stray bytes), left by a "
                    + "crash during a save; cutting it off", file, tornRecords, tornBytes);
        }
        if (damaged > tornRecords) {
            LOG.warnf("Embedding cache %s has %d corrupt records before its end; skipping them and keeping the rest",
                    file, damaged - tornRecords);
        }
        boolean repair = damaged > 0 || tornBytes > 0;
        LOG.infof("Loaded %d cached embeddings from %s (%d records)", index.size(), file, records);
        return new Loaded(index, headerBytes + records * recordBytes, records, !repair, repair);
    }

    /** Whether record {@code number} passes its checksum; only called for the few records of a torn tail. */
    private static boolean intact(FileChannel channel, long headerBytes, int recordBytes, long number)
            throws IOException {
        ByteBuffer record = ByteBuffer.allocate(recordBytes).order(ByteOrder.LITTLE_ENDIAN);
        channel.position(headerBytes + number * recordBytes);
        readFully(channel, record, null);
        return checksumMatches(record, 0, recordBytes);
    }

    /**
     * Converts a version-1 file: its entries are streamed into a version-2 {@code .tmp} file while the old checksum is
     * computed, and the new file replaces the old one only when that checksum and the fingerprint match.
     */
    private static Loaded upgradeVersion1(FileChannel channel, Path directory, Path file, String fingerprint,
            int dimensions) throws IOException {
        long fileSize = channel.size();
        if (fileSize < V1_FIXED_HEADER_BYTES + CHECKSUM_BYTES) {
            throw new CacheFormatException("file is truncated: " + fileSize + " bytes");
        }
        CRC32C checksum = new CRC32C();
        ByteBuffer header = ByteBuffer.allocate(V1_FIXED_HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        readFully(channel, header, checksum);
        header.position(MAGIC.length + Integer.BYTES);
        int fileDimensions = header.getInt();
        if (fileDimensions != dimensions) {
            throw new CacheFormatException("written for " + fileDimensions + " dimensions, expected " + dimensions);
        }
        int count = header.getInt();
        int fingerprintBytes = header.getInt();
        if (count < 0 || fingerprintBytes < 0 || fingerprintBytes > MAX_FINGERPRINT_CHARS) {
            throw new CacheFormatException("corrupt header");
        }
        int entryBytes = HASH_BYTES + dimensions * Float.BYTES;
        long expectedSize = (long) V1_FIXED_HEADER_BYTES + fingerprintBytes + (long) count * entryBytes
                + CHECKSUM_BYTES;
        if (fileSize != expectedSize) {
            throw new CacheFormatException("file has " + fileSize + " bytes, its header implies " + expectedSize
                    + " (truncated or corrupt)");
        }
        ByteBuffer fingerprintBuffer = ByteBuffer.allocate(fingerprintBytes);
        readFully(channel, fingerprintBuffer, checksum);
        String fileFingerprint = new String(fingerprintBuffer.array(), StandardCharsets.UTF_8);

        Path temporary = directory.resolve(file.getFileName() + ".tmp");
        ConcurrentHashMap<String, Slot> index = new ConcurrentHashMap<>(Math.max(16, count));
        long end;
        boolean replaced = false;
        try {
            try (FileChannel out = FileChannel.open(temporary, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                RecordWriter writer = new RecordWriter(out, 0);
                writer.header(fingerprint, dimensions);
                ByteBuffer chunk = ByteBuffer.allocate(chunkBytes(entryBytes)).order(ByteOrder.LITTLE_ENDIAN);
                int entriesPerChunk = chunk.capacity() / entryBytes;
                byte[] hash = new byte[HASH_BYTES];
                float[] embedding = new float[dimensions];
                for (int done = 0; done < count; ) {
                    int inChunk = Math.min(entriesPerChunk, count - done);
                    chunk.clear().limit(inChunk * entryBytes);
                    readFully(channel, chunk, checksum);
                    for (int slot = 0; slot < inChunk; slot++) {
                        int at = slot * entryBytes;
                        chunk.get(at, hash);
                        chunk.position(at + HASH_BYTES);
                        chunk.asFloatBuffer().get(embedding);
                        index.put(HEX.formatHex(hash), new Slot(writer.put(hash, embedding), null));
                    }
                    done += inChunk;
                }
                ByteBuffer trailer = ByteBuffer.allocate(CHECKSUM_BYTES).order(ByteOrder.LITTLE_ENDIAN);
                readFully(channel, trailer, null);
                if (trailer.getInt() != (int) checksum.getValue()) {
                    throw new CacheFormatException("checksum mismatch (corrupt)");
                }
                // Compared only after the checksum, so that a damaged fingerprint is reported as corruption.
                if (!fileFingerprint.equals(fingerprint)) {
                    throw new FingerprintMismatchException("file fingerprint " + fileFingerprint);
                }
                end = writer.finish();
                out.force(true);
            }
            DurableFiles.move(temporary, file);
            replaced = true;
            DurableFiles.forceDirectory(directory);
        } finally {
            if (!replaced) {
                Files.deleteIfExists(temporary);
            }
        }
        LOG.infof("Converted the embedding cache %s from format version 1 to %d: %d cached embeddings", file,
                FORMAT_VERSION, index.size());
        return new Loaded(index, end, index.size(), true, false);
    }

    /** Writes a header and records through one buffer, tracking the file offset of each record. */
    private static final class RecordWriter {
        private final FileChannel channel;
        private final ByteBuffer buffer = ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        private final CRC32C checksum = new CRC32C();
        /** File offset of the buffer's first byte. */
        private long flushed;

        RecordWriter(FileChannel channel, long position) {
            this.channel = channel;
            this.flushed = position;
        }

        void header(String fingerprint, int dimensions) throws IOException {
            byte[] fingerprintBytes = fingerprint.getBytes(StandardCharsets.UTF_8);
            int start = buffer.position();
            buffer.put(MAGIC).putInt(FORMAT_VERSION).putInt(dimensions).putInt(fingerprintBytes.length)
                    .put(fingerprintBytes);
            checksum.reset();
            checksum.update(buffer.slice(start, buffer.position() - start));
            buffer.putInt((int) checksum.getValue());
        }

        /** Appends a put record; returns its file offset. */
        long put(byte[] hash, float[] embedding) throws IOException {
            return write(KIND_PUT, hash, embedding, embedding.length);
        }

        /** Appends a removal record; its vector is zeros, so that every record has the same length. */
        long remove(byte[] hash, int dimensions) throws IOException {
            return write(KIND_REMOVE, hash, null, dimensions);
        }

        /** Appends an already encoded and checked record; returns its file offset. */
        long record(ByteBuffer record) throws IOException {
            makeRoom(record.remaining());
            long offset = flushed + buffer.position();
            buffer.put(record);
            return offset;
        }

        private long write(int kind, byte[] hash, float[] embedding, int dimensions) throws IOException {
            int bytes = recordBytes(dimensions);
            makeRoom(bytes);
            int start = buffer.position();
            buffer.putInt(kind).put(hash);
            for (int i = 0; i < dimensions; i++) {
                buffer.putFloat(embedding == null ? 0f : embedding[i]);
            }
            checksum.reset();
            checksum.update(buffer.slice(start, bytes - CHECKSUM_BYTES));
            buffer.putInt((int) checksum.getValue());
            return flushed + start;
        }

        private void makeRoom(int bytes) throws IOException {
            if (buffer.remaining() < bytes) {
                flush();
            }
            if (buffer.remaining() < bytes) {
                throw new IOException("record of " + bytes + " bytes exceeds the write buffer");
            }
        }

        private void flush() throws IOException {
            buffer.flip();
            while (buffer.hasRemaining()) {
                flushed += channel.write(buffer);
            }
            buffer.clear();
        }

        /** Writes what is buffered; returns the file offset after the last byte. */
        long finish() throws IOException {
            flush();
            return flushed;
        }
    }

    private static boolean checksumMatches(ByteBuffer buffer, int start, int recordBytes) {
        CRC32C checksum = new CRC32C();
        checksum.update(buffer.slice(start, recordBytes - CHECKSUM_BYTES));
        return (int) checksum.getValue() == buffer.getInt(start + recordBytes - CHECKSUM_BYTES);
    }

    /** Fills the buffer from its position to its limit, feeds those bytes to the checksum, and leaves it flipped. */
    private static void readFully(FileChannel channel, ByteBuffer buffer, CRC32C checksum) throws IOException {
        int start = buffer.position();
        while (buffer.hasRemaining()) {
            if (channel.read(buffer) < 0) {
                throw new EOFException("unexpected end of file");
            }
        }
        buffer.flip().position(start);
        if (checksum != null) {
            checksum.update(buffer);
            buffer.position(start);
        }
    }

    static int recordBytes(int dimensions) {
        return RECORD_OVERHEAD_BYTES + dimensions * Float.BYTES;
    }

    private static int chunkBytes(int entryBytes) {
        return Math.max(CHUNK_BYTES - CHUNK_BYTES % entryBytes, entryBytes);
    }

    private static String canonicalFingerprint(String fingerprint) {
        Objects.requireNonNull(fingerprint, "modelFingerprint");
        if (fingerprint.isEmpty() || fingerprint.length() > MAX_FINGERPRINT_CHARS || !isHex(fingerprint)) {
            throw new IllegalArgumentException(
                    "model fingerprint must be 1 to " + MAX_FINGERPRINT_CHARS + " hex characters, was '"
                            + fingerprint + "'");
        }
        return fingerprint.toLowerCase(Locale.ROOT);
    }

    private static String canonicalContentHash(String contentHash) {
        Objects.requireNonNull(contentHash, "contentHash");
        if (contentHash.length() != ContentHash.HEX_LENGTH || !isHex(contentHash)) {
            throw new IllegalArgumentException(
                    "content hash must be " + ContentHash.HEX_LENGTH + " hex characters, was '" + contentHash + "'");
        }
        return contentHash.toLowerCase(Locale.ROOT);
    }

    private static boolean isHex(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (!HexFormat.isHexDigit(text.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static void requirePositiveDimensions(int dimensions) {
        if (dimensions <= 0) {
            throw new IllegalArgumentException("dimensions must be positive, was " + dimensions);
        }
    }

    /** The file is not a usable cache: its message says why. */
    private static class CacheFormatException extends IOException {
        private static final long serialVersionUID = 1L;

        CacheFormatException(String message) {
            super(message);
        }
    }

    /** The file is intact but was written for another model. */
    private static final class FingerprintMismatchException extends CacheFormatException {
        private static final long serialVersionUID = 1L;

        FingerprintMismatchException(String message) {
            super(message);
        }
    }
}
