package io.multimodalrag.search;

import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
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
 * <p><b>Never fatal on load.</b> A missing file means an empty cache. A file that is truncated, corrupt, of another
 * format version, of another dimension count, or unreadable is ignored with a WARN log, and the cache starts empty;
 * the next {@link #save()} after a change replaces it.
 *
 * <p><b>File format</b> (little-endian throughout, version 1):
 * <pre>
 *   8 bytes   magic "MMRAGEMB" (ASCII)
 *   int32     format version (1)
 *   int32     dimensions
 *   int32     entry count
 *   int32     fingerprint length in bytes, then the fingerprint as UTF-8 (lower-case hex)
 *   count x { 32 bytes raw SHA-256 of the image, dimensions x float32 embedding }   sorted by hash
 *   int32     CRC32C of every byte before it
 * </pre>
 *
 * <p><b>Saving</b> writes {@code <file>.tmp} in the same directory, forces it to disk, renames it over the file with
 * {@link StandardCopyOption#ATOMIC_MOVE}, then forces the directory where the platform allows it. A crash therefore
 * leaves either the old file or the new one; a leftover {@code .tmp} is never read and is overwritten by the next save.
 * One directory must not be shared by two running processes using the same model, since they would share that
 * temporary file.
 *
 * <p><b>Threads.</b> {@link #get}, {@link #contains}, {@link #copyInto}, {@link #put}, {@link #retainOnly} and
 * {@link #size} may be called from any thread at any time. {@link #save()} may run alongside them: it writes every entry present for the whole call, an entry changed
 * while it runs may or may not be in this file, and such a change always makes the next save write again.
 */
public final class EmbeddingCache {

    private static final Logger LOG = Logger.getLogger(EmbeddingCache.class);

    private static final byte[] MAGIC = "MMRAGEMB".getBytes(StandardCharsets.US_ASCII);
    private static final int FORMAT_VERSION = 1;
    /** Magic, version, dimensions, count and fingerprint length. */
    private static final int FIXED_HEADER_BYTES = MAGIC.length + 4 * Integer.BYTES;
    private static final int CHECKSUM_BYTES = Integer.BYTES;
    private static final int HASH_BYTES = 32;
    private static final int MAX_FINGERPRINT_CHARS = 1024;
    /** Size of the I/O buffer: large enough that channel calls are few, small enough to never matter for memory. */
    private static final int CHUNK_BYTES = 1 << 20;
    private static final HexFormat HEX = HexFormat.of();

    /** Null when the cache is disabled. */
    private final Path directory;
    /** Null when the cache is disabled. */
    private final Path file;
    private final String modelFingerprint;
    private final int dimensions;
    private final ConcurrentHashMap<String, float[]> entries;
    /** Counts changes to {@link #entries}; {@link #save()} compares it with the count it last wrote. */
    private final AtomicLong changeCount = new AtomicLong();
    private long savedChangeCount;

    private EmbeddingCache(Path directory, String modelFingerprint, int dimensions,
            ConcurrentHashMap<String, float[]> loaded) {
        this.directory = directory;
        this.file = directory == null ? null : directory.resolve(fileName(modelFingerprint));
        this.modelFingerprint = modelFingerprint;
        this.dimensions = dimensions;
        this.entries = loaded;
    }

    /**
     * Opens the cache for one model, loading its file if it is present and valid. Never fails because of the file's
     * contents; see the class documentation. A missing directory is created only when {@link #save()} has something to
     * write.
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
        return new EmbeddingCache(directory, fingerprint, dimensions, load(file, fingerprint, dimensions));
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
        return new EmbeddingCache(null, null, dimensions, new ConcurrentHashMap<>());
    }

    /**
     * Looks up the embedding of an image.
     *
     * @param contentHash the image's content hash: 64 hex characters, case-insensitive
     * @return a copy of the cached embedding, or empty if the image is not cached
     * @throws IllegalArgumentException if the argument is not 64 hex characters
     */
    public Optional<float[]> get(String contentHash) {
        float[] embedding = entries.get(canonicalContentHash(contentHash));
        return embedding == null ? Optional.empty() : Optional.of(embedding.clone());
    }

    /**
     * Whether the embedding of an image is cached, without copying it.
     *
     * @param contentHash the image's content hash: 64 hex characters, case-insensitive
     * @return true when {@link #get} would find it
     * @throws IllegalArgumentException if the argument is not 64 hex characters
     */
    public boolean contains(String contentHash) {
        return entries.containsKey(canonicalContentHash(contentHash));
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
        float[] embedding = entries.get(canonicalContentHash(contentHash));
        if (embedding == null) {
            return false;
        }
        System.arraycopy(embedding, 0, target, offset, embedding.length);
        return true;
    }

    /**
     * Stores the embedding of an image, replacing any earlier one. The array is copied. Thread-safe.
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
        float[] previous = entries.put(key, copy);
        // Re-putting an identical embedding is common after a restart and must not force a rewrite.
        if (previous == null || !Arrays.equals(previous, copy)) {
            changeCount.incrementAndGet();
        }
    }

    /** @return the number of cached embeddings */
    public int size() {
        return entries.size();
    }

    /**
     * Drops every entry whose content hash is not in the given set, for images no longer in the knowledge base.
     * Strings in the set that are not content hashes match nothing.
     *
     * @param contentHashes the content hashes to keep, case-insensitive
     */
    public void retainOnly(Set<String> contentHashes) {
        Objects.requireNonNull(contentHashes, "contentHashes");
        Set<String> keep = new HashSet<>(contentHashes.size() * 2);
        for (String hash : contentHashes) {
            keep.add(hash.toLowerCase(Locale.ROOT));
        }
        if (entries.keySet().removeIf(key -> !keep.contains(key))) {
            changeCount.incrementAndGet();
        }
    }

    /**
     * Writes the cache to disk atomically if anything changed since it was loaded or last saved; otherwise, and always
     * for a {@linkplain #disabled(int) disabled} cache, does nothing.
     *
     * @throws UncheckedIOException if the file cannot be written; the previous file, if any, is then left intact
     */
    public synchronized void save() {
        if (file == null) {
            return;
        }
        long changesToWrite = changeCount.get();
        if (changesToWrite == savedChangeCount) {
            return;
        }
        List<Map.Entry<String, float[]>> snapshot = new ArrayList<>(entries.entrySet());
        // Sorted so that the same contents always give the same bytes.
        snapshot.sort(Map.Entry.comparingByKey());
        Path temporary = directory.resolve(file.getFileName() + ".tmp");
        try {
            Files.createDirectories(directory);
            write(temporary, snapshot);
            replace(temporary, file);
            forceDirectory(directory);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(temporary);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw new UncheckedIOException("Could not save the embedding cache to " + file + ": " + e, e);
        }
        savedChangeCount = changesToWrite;
        LOG.infof("Saved %d cached embeddings to %s", snapshot.size(), file);
    }

    @Override
    public String toString() {
        return "EmbeddingCache[" + (file == null ? "disabled" : file.toString()) + ", entries=" + entries.size()
                + ", dimensions=" + dimensions + "]";
    }

    private static String fileName(String fingerprint) {
        return "embeddings-" + fingerprint.substring(0, Math.min(16, fingerprint.length())) + ".bin";
    }

    private static ConcurrentHashMap<String, float[]> load(Path file, String fingerprint, int dimensions) {
        try {
            ConcurrentHashMap<String, float[]> loaded = read(file, fingerprint, dimensions);
            LOG.infof("Loaded %d cached embeddings from %s", loaded.size(), file);
            return loaded;
        } catch (NoSuchFileException e) {
            LOG.infof("No embedding cache at %s yet; starting empty", file);
        } catch (FingerprintMismatchException e) {
            LOG.infof("Embedding cache %s belongs to another model (%s); starting empty", file, e.getMessage());
        } catch (IOException | RuntimeException e) {
            LOG.warnf("Ignoring unusable embedding cache %s (%s); starting empty", file, e.getMessage());
        }
        return new ConcurrentHashMap<>();
    }

    private static ConcurrentHashMap<String, float[]> read(Path file, String fingerprint, int dimensions)
            throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long fileSize = channel.size();
            if (fileSize < FIXED_HEADER_BYTES + CHECKSUM_BYTES) {
                throw new CacheFormatException("file is truncated: " + fileSize + " bytes");
            }
            CRC32C checksum = new CRC32C();
            ByteBuffer header = ByteBuffer.allocate(FIXED_HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, header, checksum);
            byte[] magic = new byte[MAGIC.length];
            header.get(magic);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new CacheFormatException("not an embedding cache file");
            }
            int version = header.getInt();
            if (version != FORMAT_VERSION) {
                throw new CacheFormatException("format version " + version + ", expected " + FORMAT_VERSION);
            }
            int fileDimensions = header.getInt();
            if (fileDimensions != dimensions) {
                throw new CacheFormatException("written for " + fileDimensions + " dimensions, expected " + dimensions);
            }
            int count = header.getInt();
            int fingerprintBytes = header.getInt();
            if (count < 0 || fingerprintBytes < 0 || fingerprintBytes > MAX_FINGERPRINT_CHARS) {
                throw new CacheFormatException("corrupt header");
            }
            int entryBytes = entryBytes(dimensions);
            long expectedSize = (long) FIXED_HEADER_BYTES + fingerprintBytes + (long) count * entryBytes
                    + CHECKSUM_BYTES;
            if (fileSize != expectedSize) {
                throw new CacheFormatException("file has " + fileSize + " bytes, its header implies " + expectedSize
                        + " (truncated or corrupt)");
            }

            ByteBuffer fingerprintBuffer = ByteBuffer.allocate(fingerprintBytes);
            readFully(channel, fingerprintBuffer, checksum);
            String fileFingerprint = new String(fingerprintBuffer.array(), StandardCharsets.UTF_8);

            // The cache's own map, filled in place rather than copied into another one afterwards.
            ConcurrentHashMap<String, float[]> loaded = new ConcurrentHashMap<>(Math.max(16, count));
            ByteBuffer chunk = ByteBuffer.allocateDirect(chunkBytes(entryBytes)).order(ByteOrder.LITTLE_ENDIAN);
            FloatBuffer chunkFloats = chunk.asFloatBuffer();
            int entriesPerChunk = chunk.capacity() / entryBytes;
            byte[] hash = new byte[HASH_BYTES];
            for (int done = 0; done < count; ) {
                int inChunk = Math.min(entriesPerChunk, count - done);
                chunk.clear().limit(inChunk * entryBytes);
                readFully(channel, chunk, checksum);
                for (int slot = 0; slot < inChunk; slot++) {
                    int offset = slot * entryBytes;
                    chunk.get(offset, hash);
                    float[] embedding = new float[dimensions];
                    chunkFloats.get((offset + HASH_BYTES) / Float.BYTES, embedding);
                    loaded.put(HEX.formatHex(hash), embedding);
                }
                done += inChunk;
            }

            ByteBuffer trailer = ByteBuffer.allocate(CHECKSUM_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            int computed = (int) checksum.getValue();
            readFully(channel, trailer, null);
            if (trailer.getInt() != computed) {
                throw new CacheFormatException("checksum mismatch (corrupt)");
            }
            // Compared only after the checksum, so that a damaged fingerprint is reported as corruption.
            if (!fileFingerprint.equals(fingerprint)) {
                throw new FingerprintMismatchException("file fingerprint " + fileFingerprint);
            }
            return loaded;
        }
    }

    private void write(Path temporary, List<Map.Entry<String, float[]>> snapshot) throws IOException {
        byte[] fingerprintBytes = modelFingerprint.getBytes(StandardCharsets.UTF_8);
        CRC32C checksum = new CRC32C();
        try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer header = ByteBuffer.allocate(FIXED_HEADER_BYTES + fingerprintBytes.length)
                    .order(ByteOrder.LITTLE_ENDIAN);
            header.put(MAGIC)
                    .putInt(FORMAT_VERSION)
                    .putInt(dimensions)
                    .putInt(snapshot.size())
                    .putInt(fingerprintBytes.length)
                    .put(fingerprintBytes)
                    .flip();
            writeFully(channel, header, checksum);

            int entryBytes = entryBytes(dimensions);
            ByteBuffer chunk = ByteBuffer.allocateDirect(chunkBytes(entryBytes)).order(ByteOrder.LITTLE_ENDIAN);
            FloatBuffer chunkFloats = chunk.asFloatBuffer();
            int entriesPerChunk = chunk.capacity() / entryBytes;
            int slot = 0;
            for (Map.Entry<String, float[]> entry : snapshot) {
                int offset = slot * entryBytes;
                chunk.put(offset, HEX.parseHex(entry.getKey()));
                chunkFloats.put((offset + HASH_BYTES) / Float.BYTES, entry.getValue());
                if (++slot == entriesPerChunk) {
                    chunk.clear().limit(slot * entryBytes);
                    writeFully(channel, chunk, checksum);
                    slot = 0;
                }
            }
            if (slot > 0) {
                chunk.clear().limit(slot * entryBytes);
                writeFully(channel, chunk, checksum);
            }

            ByteBuffer trailer = ByteBuffer.allocate(CHECKSUM_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            trailer.putInt((int) checksum.getValue()).flip();
            writeFully(channel, trailer, null);
            channel.force(true);
        }
    }

    private static void replace(Path temporary, Path target) throws IOException {
        try {
            Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            // A torn file would still be caught by the checksum on load, so a plain replace beats not saving at all.
            LOG.warnf("Atomic rename is not supported for %s; replacing the embedding cache non-atomically", target);
            Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Makes the rename durable. Not every platform can open a directory (Windows cannot); there it is skipped. */
    private static void forceDirectory(Path directory) {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            LOG.debugf("Could not force directory %s to disk: %s", directory, e);
        }
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

    /** Writes the buffer from its position to its limit after feeding those bytes to the checksum. */
    private static void writeFully(FileChannel channel, ByteBuffer buffer, CRC32C checksum) throws IOException {
        if (checksum != null) {
            int start = buffer.position();
            checksum.update(buffer);
            buffer.position(start);
        }
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    private static int entryBytes(int dimensions) {
        return HASH_BYTES + dimensions * Float.BYTES;
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
