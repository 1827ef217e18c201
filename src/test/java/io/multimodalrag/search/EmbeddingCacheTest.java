package io.multimodalrag.search;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddingCacheTest {

    private static final String FINGERPRINT = "0123456789abcdef" + "fedcba9876543210".repeat(3);
    private static final int DIMENSIONS = 8;
    /** Byte offset of the format version in the file: right after the 8-byte magic. */
    private static final int VERSION_OFFSET = 8;

    @TempDir
    Path directory;

    private final Random random = new Random(42);
    private final WarningRecorder warnings = new WarningRecorder();

    @BeforeEach
    void recordWarnings() {
        Logger.getLogger(EmbeddingCache.class.getName()).addHandler(warnings);
    }

    @AfterEach
    void stopRecordingWarnings() {
        Logger.getLogger(EmbeddingCache.class.getName()).removeHandler(warnings);
    }

    @Test
    void savedEntriesAreLoadedByTheNextOpen() {
        Map<String, float[]> expected = randomEntries(300, 512);
        EmbeddingCache cache = EmbeddingCache.open(directory, FINGERPRINT, 512);
        expected.forEach(cache::put);
        cache.save();

        EmbeddingCache reopened = EmbeddingCache.open(directory, FINGERPRINT, 512);

        assertEquals(300, reopened.size());
        expected.forEach((hash, embedding) -> assertArrayEquals(embedding, reopened.get(hash).orElseThrow(), hash));
        assertTrue(Files.exists(cacheFile()));
        assertEquals(List.of(), warnings.messages);
    }

    @Test
    void specialFloatValuesSurviveTheRoundTrip() {
        float[] embedding = {0f, -0f, Float.MIN_VALUE, Float.MAX_VALUE, Float.NaN, Float.POSITIVE_INFINITY,
                Float.NEGATIVE_INFINITY, -1.5e-20f};
        String hash = randomHash();
        EmbeddingCache cache = EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS);
        cache.put(hash, embedding);
        cache.save();

        float[] loaded = EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS).get(hash).orElseThrow();

        assertArrayEquals(embedding, loaded);
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(loaded[1]));
    }

    @Test
    void emptyCacheRoundTrips() {
        EmbeddingCache cache = EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS);
        String hash = randomHash();
        cache.put(hash, randomEmbedding(DIMENSIONS));
        cache.retainOnly(Set.of());
        cache.save();

        assertTrue(Files.exists(cacheFile()));
        assertEquals(0, EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS).size());
        assertEquals(List.of(), warnings.messages);
    }

    @Test
    void getAndPutCopyTheArrays() {
        EmbeddingCache cache = EmbeddingCache.disabled(DIMENSIONS);
        String hash = randomHash();
        float[] embedding = randomEmbedding(DIMENSIONS);
        float[] original = embedding.clone();

        cache.put(hash, embedding);
        embedding[0] = 99;
        cache.get(hash).orElseThrow()[1] = 99;

        assertArrayEquals(original, cache.get(hash).orElseThrow());
    }

    @Test
    void hashesAndFingerprintsAreCaseInsensitive() {
        String hash = randomHash();
        float[] embedding = randomEmbedding(DIMENSIONS);
        EmbeddingCache cache = EmbeddingCache.open(directory, FINGERPRINT.toUpperCase(Locale.ROOT), DIMENSIONS);
        cache.put(hash.toUpperCase(Locale.ROOT), embedding);
        cache.save();

        EmbeddingCache reopened = EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS);

        assertArrayEquals(embedding, reopened.get(hash).orElseThrow());
        assertArrayEquals(embedding, reopened.get(hash.toUpperCase(Locale.ROOT)).orElseThrow());
        assertTrue(Files.exists(cacheFile()));
    }

    @Test
    void unknownHashIsAMiss() {
        EmbeddingCache cache = EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS);

        assertTrue(cache.get(randomHash()).isEmpty());
    }

    @Test
    void missingDirectoryIsCreatedOnlyWhenThereIsSomethingToSave() {
        Path nested = directory.resolve("not/yet/there");
        EmbeddingCache cache = EmbeddingCache.open(nested, FINGERPRINT, DIMENSIONS);
        cache.save();
        assertFalse(Files.exists(nested));

        cache.put(randomHash(), randomEmbedding(DIMENSIONS));
        cache.save();

        assertTrue(Files.exists(nested.resolve(cacheFile().getFileName())));
        assertEquals(List.of(), warnings.messages);
    }

    @Test
    void saveWritesOnlyWhenSomethingChanged() throws IOException {
        String hash = randomHash();
        float[] embedding = randomEmbedding(DIMENSIONS);
        EmbeddingCache cache = EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS);
        cache.put(hash, embedding);
        cache.save();
        // Deleting the file shows whether a later save writes: a no-op save leaves it missing.
        Files.delete(cacheFile());

        cache.save();
        assertFalse(Files.exists(cacheFile()));

        cache.put(hash, embedding.clone());
        cache.retainOnly(Set.of(hash, randomHash()));
        cache.save();
        assertFalse(Files.exists(cacheFile()), "identical put and no-op retainOnly are not changes");

        embedding[0] += 1;
        cache.put(hash, embedding);
        cache.save();
        assertTrue(Files.exists(cacheFile()));
    }

    @Test
    void freshlyLoadedCacheDoesNotRewriteItsFile() throws IOException {
        EmbeddingCache cache = EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS);
        cache.put(randomHash(), randomEmbedding(DIMENSIONS));
        cache.save();
        EmbeddingCache reopened = EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS);
        Files.delete(cacheFile());

        reopened.save();

        assertFalse(Files.exists(cacheFile()));
    }

    @Test
    void differentFingerprintMisses() {
        String hash = randomHash();
        EmbeddingCache cache = EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS);
        cache.put(hash, randomEmbedding(DIMENSIONS));
        cache.save();

        String otherModel = "ffff" + FINGERPRINT.substring(4);
        EmbeddingCache other = EmbeddingCache.open(directory, otherModel, DIMENSIONS);

        assertEquals(0, other.size());
        assertTrue(other.get(hash).isEmpty());
        assertEquals(List.of(), warnings.messages);
    }

    @Test
    void filesOfOtherFingerprintsAreKept() throws IOException {
        String otherModel = "ffff" + FINGERPRINT.substring(4);
        String hash = randomHash();
        float[] embedding = randomEmbedding(DIMENSIONS);
        EmbeddingCache first = EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS);
        first.put(hash, embedding);
        first.save();
        EmbeddingCache second = EmbeddingCache.open(directory, otherModel, DIMENSIONS);
        second.put(hash, randomEmbedding(DIMENSIONS));
        second.save();

        try (Stream<Path> files = Files.list(directory)) {
            assertEquals(2, files.count());
        }
        assertArrayEquals(embedding, EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS).get(hash).orElseThrow());
    }

    @Test
    void sameFilePrefixButDifferentFullFingerprintMisses() {
        String hash = randomHash();
        EmbeddingCache cache = EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS);
        cache.put(hash, randomEmbedding(DIMENSIONS));
        cache.save();

        String collidingModel = FINGERPRINT.substring(0, 16) + "0".repeat(48);
        EmbeddingCache other = EmbeddingCache.open(directory, collidingModel, DIMENSIONS);

        assertEquals(0, other.size());
        assertTrue(other.get(hash).isEmpty());
        assertEquals(List.of(), warnings.messages, "a fingerprint mismatch is a miss, not a fault");
    }

    @Test
    void differentDimensionIsIgnoredWithAWarning() {
        EmbeddingCache cache = EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS);
        cache.put(randomHash(), randomEmbedding(DIMENSIONS));
        cache.save();

        EmbeddingCache wider = EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS * 2);

        assertEquals(0, wider.size());
        assertEquals(1, warnings.messages.size(), warnings.messages::toString);
        assertTrue(warnings.messages.get(0).contains("dimensions"), warnings.messages::toString);
    }

    @Test
    void differentFormatVersionIsIgnoredWithAWarning() throws IOException {
        writeTwoEntries();
        byte[] bytes = Files.readAllBytes(cacheFile());
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(VERSION_OFFSET, 2);
        // A valid checksum makes sure it is the version check that rejects the file.
        Files.write(cacheFile(), withRecomputedChecksum(bytes));

        assertEquals(0, EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS).size());
        assertEquals(1, warnings.messages.size(), warnings.messages::toString);
        assertTrue(warnings.messages.get(0).contains("version 2"), warnings.messages::toString);
    }

    @Test
    void recomputedChecksumIsAcceptedSoTheHelperIsSound() throws IOException {
        writeTwoEntries();
        byte[] bytes = Files.readAllBytes(cacheFile());
        Files.write(cacheFile(), withRecomputedChecksum(bytes));

        assertEquals(2, EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS).size());
    }

    @Test
    void truncatedFileIsIgnoredWithAWarning() throws IOException {
        writeTwoEntries();
        byte[] bytes = Files.readAllBytes(cacheFile());

        for (int length : new int[] {0, 1, 8, 20, 27, 28, 100, bytes.length - 5, bytes.length - 4, bytes.length - 1}) {
            Files.write(cacheFile(), Arrays.copyOf(bytes, length));
            warnings.messages.clear();

            EmbeddingCache cache = EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS);

            assertEquals(0, cache.size(), "length " + length);
            assertEquals(1, warnings.messages.size(), "length " + length);
        }
    }

    @Test
    void trailingBytesAreIgnoredWithAWarning() throws IOException {
        writeTwoEntries();
        byte[] bytes = Files.readAllBytes(cacheFile());
        Files.write(cacheFile(), Arrays.copyOf(bytes, bytes.length + 1));

        assertEquals(0, EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS).size());
        assertEquals(1, warnings.messages.size());
    }

    @Test
    void anyFlippedBitMakesTheFileIgnored() throws IOException {
        writeTwoEntries();
        byte[] bytes = Files.readAllBytes(cacheFile());
        Logger logger = Logger.getLogger(EmbeddingCache.class.getName());
        Level level = logger.getLevel();
        // Hundreds of expected warnings would only bury the output of other tests.
        logger.setLevel(Level.SEVERE);
        try {
            for (int position = 0; position < bytes.length; position++) {
                for (int bit : new int[] {0, 7}) {
                    byte[] damaged = bytes.clone();
                    damaged[position] ^= (byte) (1 << bit);
                    Files.write(cacheFile(), damaged);

                    EmbeddingCache cache = EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS);

                    assertEquals(0, cache.size(), "byte " + position + " bit " + bit);
                }
            }
        } finally {
            logger.setLevel(level);
        }
    }

    @Test
    void foreignFileIsIgnoredWithAWarning() throws IOException {
        byte[] noise = new byte[5000];
        random.nextBytes(noise);
        Files.write(cacheFile(), noise);

        assertEquals(0, EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS).size());
        assertEquals(1, warnings.messages.size());
    }

    @Test
    void unusableFileIsReplacedByTheNextSave() throws IOException {
        Files.write(cacheFile(), "garbage".getBytes(StandardCharsets.US_ASCII));
        EmbeddingCache cache = EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS);
        String hash = randomHash();
        float[] embedding = randomEmbedding(DIMENSIONS);
        cache.put(hash, embedding);
        cache.save();

        assertArrayEquals(embedding, EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS).get(hash).orElseThrow());
    }

    @Test
    void retainOnlyDropsEntriesNotInTheSet() {
        List<String> hashes = new ArrayList<>(randomEntries(5, DIMENSIONS).keySet());
        EmbeddingCache cache = EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS);
        hashes.forEach(hash -> cache.put(hash, randomEmbedding(DIMENSIONS)));

        cache.retainOnly(Set.of(hashes.get(0), hashes.get(2).toUpperCase(Locale.ROOT), hashes.get(4), "not-a-hash"));

        assertEquals(3, cache.size());
        assertTrue(cache.get(hashes.get(1)).isEmpty());
        assertTrue(cache.get(hashes.get(3)).isEmpty());
        cache.save();
        EmbeddingCache reopened = EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS);
        assertEquals(3, reopened.size());
        assertTrue(reopened.get(hashes.get(0)).isPresent());
        assertTrue(reopened.get(hashes.get(2)).isPresent());
        assertTrue(reopened.get(hashes.get(4)).isPresent());
    }

    @Test
    void concurrentPutsFromSeveralThreadsAreAllKept() throws Exception {
        int threads = 8;
        int perThread = 500;
        String sharedHash = randomHash();
        float[] sharedEmbedding = randomEmbedding(DIMENSIONS);
        List<Map<String, float[]>> perThreadEntries = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            perThreadEntries.add(randomEntries(perThread, DIMENSIONS));
        }
        EmbeddingCache cache = EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS);
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads + 1);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (Map<String, float[]> entries : perThreadEntries) {
                futures.add(pool.submit(() -> {
                    start.await();
                    entries.forEach((hash, embedding) -> {
                        cache.put(hash, embedding);
                        cache.put(sharedHash, sharedEmbedding);
                    });
                    return null;
                }));
            }
            // Saving while others put must neither fail nor lose what arrives during the save.
            futures.add(pool.submit(() -> {
                start.await();
                for (int i = 0; i < 20; i++) {
                    cache.save();
                }
                return null;
            }));
            start.countDown();
            for (Future<?> future : futures) {
                future.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        cache.save();

        int expectedSize = threads * perThread + 1;
        assertEquals(expectedSize, cache.size());
        EmbeddingCache reopened = EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS);
        assertEquals(expectedSize, reopened.size());
        for (Map<String, float[]> entries : perThreadEntries) {
            entries.forEach((hash, embedding) -> assertArrayEquals(embedding, reopened.get(hash).orElseThrow()));
        }
        assertArrayEquals(sharedEmbedding, reopened.get(sharedHash).orElseThrow());
    }

    @Test
    void leftoverTemporaryFileFromACrashDoesNotBreakTheNextOpenOrSave() throws IOException {
        String hash = writeTwoEntries();
        Path leftover = directory.resolve(cacheFile().getFileName() + ".tmp");
        byte[] half = Arrays.copyOf(Files.readAllBytes(cacheFile()), 50);
        Files.write(leftover, half);

        EmbeddingCache cache = EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS);
        assertEquals(2, cache.size());
        assertTrue(cache.get(hash).isPresent());
        assertEquals(List.of(), warnings.messages);

        cache.put(randomHash(), randomEmbedding(DIMENSIONS));
        cache.save();

        assertEquals(3, EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS).size());
        assertEquals(List.of(cacheFile().getFileName().toString()), fileNames(directory));
    }

    @Test
    void leftoverTemporaryFileAloneMeansAnEmptyCache() throws IOException {
        Files.write(directory.resolve(cacheFile().getFileName() + ".tmp"), new byte[] {1, 2, 3});

        assertEquals(0, EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS).size());
    }

    @Test
    void saveLeavesNoTemporaryFile() throws IOException {
        writeTwoEntries();

        assertEquals(List.of(cacheFile().getFileName().toString()), fileNames(directory));
    }

    @Test
    void failedSaveThrowsUncheckedIOExceptionNamingTheFileAndKeepsEntries() throws IOException {
        Path notADirectory = directory.resolve("plain-file");
        Files.write(notADirectory, new byte[] {1});
        EmbeddingCache cache = EmbeddingCache.open(notADirectory, FINGERPRINT, DIMENSIONS);
        cache.put(randomHash(), randomEmbedding(DIMENSIONS));

        UncheckedIOException failure = assertThrows(UncheckedIOException.class, cache::save);

        assertTrue(failure.getMessage().contains(notADirectory.toString()), failure.getMessage());
        assertEquals(1, cache.size());
    }

    @Test
    void disabledCacheWorksInMemoryAndNeverWrites() throws IOException {
        Path workingDirectory = Paths.get("").toAbsolutePath();
        List<String> before = fileNames(workingDirectory);
        EmbeddingCache cache = EmbeddingCache.disabled(DIMENSIONS);
        String hash = randomHash();
        float[] embedding = randomEmbedding(DIMENSIONS);

        cache.put(hash, embedding);
        cache.save();

        assertArrayEquals(embedding, cache.get(hash).orElseThrow());
        assertEquals(1, cache.size());
        cache.retainOnly(Set.of());
        cache.save();
        assertEquals(0, cache.size());
        assertEquals(before, fileNames(workingDirectory));
        assertEquals(List.of(), fileNames(directory));
    }

    @Test
    void badArgumentsAreRejected() {
        EmbeddingCache cache = EmbeddingCache.disabled(DIMENSIONS);
        String hash = randomHash();

        assertThrows(IllegalArgumentException.class, () -> cache.put(hash, new float[DIMENSIONS + 1]));
        assertThrows(IllegalArgumentException.class, () -> cache.put(hash.substring(1), new float[DIMENSIONS]));
        assertThrows(IllegalArgumentException.class, () -> cache.put(hash + "0", new float[DIMENSIONS]));
        assertThrows(IllegalArgumentException.class, () -> cache.put("g" + hash.substring(1), new float[DIMENSIONS]));
        assertThrows(IllegalArgumentException.class, () -> cache.get("abc"));
        assertThrows(NullPointerException.class, () -> cache.put(hash, null));
        assertThrows(NullPointerException.class, () -> cache.put(null, new float[DIMENSIONS]));
        assertThrows(IllegalArgumentException.class, () -> EmbeddingCache.disabled(0));
        assertThrows(IllegalArgumentException.class, () -> EmbeddingCache.open(directory, FINGERPRINT, 0));
        assertThrows(IllegalArgumentException.class, () -> EmbeddingCache.open(directory, "", DIMENSIONS));
        assertThrows(IllegalArgumentException.class, () -> EmbeddingCache.open(directory, "../../etc", DIMENSIONS));
        assertThrows(IllegalArgumentException.class, () -> EmbeddingCache.open(directory, "a".repeat(1025), DIMENSIONS));
        assertThrows(NullPointerException.class, () -> EmbeddingCache.open(null, FINGERPRINT, DIMENSIONS));
        assertThrows(NullPointerException.class, () -> EmbeddingCache.open(directory, null, DIMENSIONS));
    }

    @Test
    void contentHashIsLowerCaseHexSha256() {
        assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                ContentHash.contentHash(new byte[0]));
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                ContentHash.contentHash("abc".getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void contentHashOfAFileEqualsThatOfItsBytes() throws IOException {
        for (int size : new int[] {0, 1, 64 * 1024 - 1, 64 * 1024, 300_001}) {
            byte[] bytes = new byte[size];
            random.nextBytes(bytes);
            Path file = directory.resolve("image-" + size + ".jpg");
            Files.write(file, bytes);

            assertEquals(ContentHash.contentHash(bytes), ContentHash.contentHash(file), "size " + size);
        }
        assertThrows(IOException.class, () -> ContentHash.contentHash(directory.resolve("missing.jpg")));
    }

    @Test
    void oneFileHasherHashesFilesInTurnAndKeepsTheHeadOfTheLast() throws IOException {
        ContentHash.FileHasher hasher = new ContentHash.FileHasher();
        assertArrayEquals(new byte[0], hasher.head());
        for (int size : new int[] {300_001, 0, 5, 32, 64 * 1024 + 1, 1}) {
            byte[] bytes = new byte[size];
            random.nextBytes(bytes);
            Path file = directory.resolve("image-" + size + ".jpg");
            Files.write(file, bytes);

            assertEquals(ContentHash.contentHash(bytes), hasher.contentHash(file), "size " + size);
            assertArrayEquals(Arrays.copyOf(bytes, Math.min(size, ContentHash.FileHasher.HEAD_BYTES)), hasher.head(),
                    "size " + size);
        }
        assertThrows(IOException.class, () -> hasher.contentHash(directory.resolve("missing.jpg")));
        assertArrayEquals(new byte[0], hasher.head(), "no head after a failure");
        assertEquals(ContentHash.contentHash(new byte[1]), hasher.contentHash(Files.write(directory.resolve("z"), new byte[1])),
                "usable after a failure");
    }

    @Test
    void containsAndCopyIntoReadWithoutCopying() {
        EmbeddingCache cache = EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS);
        String hash = randomHash();
        float[] embedding = randomEmbedding(DIMENSIONS);
        cache.put(hash, embedding);

        assertTrue(cache.contains(hash.toUpperCase(Locale.ROOT)));
        assertFalse(cache.contains(randomHash()));
        float[] matrix = new float[3 * DIMENSIONS];
        assertTrue(cache.copyInto(hash, matrix, DIMENSIONS));
        assertArrayEquals(embedding, Arrays.copyOfRange(matrix, DIMENSIONS, 2 * DIMENSIONS));
        assertArrayEquals(new float[DIMENSIONS], Arrays.copyOf(matrix, DIMENSIONS));
        assertFalse(cache.copyInto(randomHash(), matrix, 0));
        assertArrayEquals(new float[DIMENSIONS], Arrays.copyOf(matrix, DIMENSIONS), "a miss leaves the target alone");
        assertThrows(IndexOutOfBoundsException.class, () -> cache.copyInto(hash, matrix, 2 * DIMENSIONS + 1));
        assertThrows(IllegalArgumentException.class, () -> cache.contains("not a hash"));
    }

    /** Saves a cache of two entries and returns the first hash. */
    private String writeTwoEntries() {
        EmbeddingCache cache = EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS);
        String first = randomHash();
        cache.put(first, randomEmbedding(DIMENSIONS));
        cache.put(randomHash(), randomEmbedding(DIMENSIONS));
        cache.save();
        return first;
    }

    private Path cacheFile() {
        return directory.resolve("embeddings-" + FINGERPRINT.substring(0, 16) + ".bin");
    }

    private static byte[] withRecomputedChecksum(byte[] bytes) {
        CRC32C checksum = new CRC32C();
        checksum.update(bytes, 0, bytes.length - 4);
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(bytes.length - 4, (int) checksum.getValue());
        return bytes;
    }

    private static List<String> fileNames(Path directory) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            return files.map(file -> file.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    private Map<String, float[]> randomEntries(int count, int dimensions) {
        Map<String, float[]> entries = new LinkedHashMap<>();
        while (entries.size() < count) {
            entries.put(randomHash(), randomEmbedding(dimensions));
        }
        return entries;
    }

    private String randomHash() {
        byte[] bytes = new byte[8];
        random.nextBytes(bytes);
        return ContentHash.contentHash(bytes);
    }

    private float[] randomEmbedding(int dimensions) {
        float[] embedding = new float[dimensions];
        for (int i = 0; i < dimensions; i++) {
            embedding[i] = (float) random.nextGaussian();
        }
        return embedding;
    }

    /** Collects the messages of WARN (and worse) records, so tests can check that unusable files are reported. */
    private static final class WarningRecorder extends Handler {
        final List<String> messages = new CopyOnWriteArrayList<>();

        @Override
        public void publish(LogRecord record) {
            if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
                Object[] parameters = record.getParameters();
                String message = record.getMessage();
                messages.add(parameters == null ? message : message + " " + Arrays.toString(parameters));
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }
}
