package io.multimodalrag.search;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multimodalrag.files.ContentHash;
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
import java.util.concurrent.Callable;
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
    /** Magic, version, dimensions, fingerprint length, 64-character fingerprint, header checksum. */
    private static final int HEADER_BYTES = 8 + 4 + 4 + 4 + 64 + 4;
    /** Kind, hash, vector, checksum. */
    private static final int RECORD_BYTES = 4 + 32 + DIMENSIONS * 4 + 4;

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
        saved(expected, 512);

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
    void emptyCacheRoundTrips() throws IOException {
        EmbeddingCache cache = EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS);
        String hash = randomHash();
        cache.put(hash, randomEmbedding(DIMENSIONS));
        cache.save();
        cache.retainOnly(Set.of());
        cache.save();

        assertEquals(HEADER_BYTES, Files.size(cacheFile()), "the put and its removal are both dead: compacted away");
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
        byte[] saved = Files.readAllBytes(cacheFile());

        cache.save();
        cache.put(hash, embedding.clone());
        cache.retainOnly(Set.of(hash, randomHash()));
        cache.save();
        assertArrayEquals(saved, Files.readAllBytes(cacheFile()), "identical put and no-op retainOnly are not changes");

        embedding[0] += 1;
        cache.put(hash, embedding);
        cache.save();
        assertEquals(saved.length + RECORD_BYTES, Files.size(cacheFile()));
        assertArrayEquals(embedding, EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS).get(hash).orElseThrow());
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
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(VERSION_OFFSET, 3);
        // A valid checksum makes sure it is the version check that rejects the file.
        Files.write(cacheFile(), withRecomputedHeaderChecksum(bytes));

        assertEquals(0, EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS).size());
        assertEquals(1, warnings.messages.size(), warnings.messages::toString);
        assertTrue(warnings.messages.get(0).contains("version 3"), warnings.messages::toString);
    }

    @Test
    void recomputedChecksumIsAcceptedSoTheHelperIsSound() throws IOException {
        writeTwoEntries();
        byte[] bytes = Files.readAllBytes(cacheFile());
        Files.write(cacheFile(), withRecomputedHeaderChecksum(bytes));

        assertEquals(2, EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS).size());
        assertEquals(List.of(), warnings.messages);
    }

    @Test
    void fileTruncatedInsideTheHeaderIsIgnoredWithAWarning() throws IOException {
        writeTwoEntries();
        byte[] bytes = Files.readAllBytes(cacheFile());

        for (int length : new int[] {0, 1, 8, 11, 12, 20, 27, 28, 83, HEADER_BYTES - 1}) {
            Files.write(cacheFile(), Arrays.copyOf(bytes, length));
            warnings.messages.clear();

            EmbeddingCache cache = EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS);

            assertEquals(0, cache.size(), "length " + length);
            assertEquals(1, warnings.messages.size(), "length " + length);
        }
    }

    @Test
    void fileTruncatedInsideTheRecordsKeepsEveryWholeRecord() throws IOException {
        writeTwoEntries();
        byte[] bytes = Files.readAllBytes(cacheFile());
        assertEquals(HEADER_BYTES + 2 * RECORD_BYTES, bytes.length);

        for (int length = HEADER_BYTES; length < bytes.length; length++) {
            Files.write(cacheFile(), Arrays.copyOf(bytes, length));
            warnings.messages.clear();

            EmbeddingCache cache = EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS);

            int whole = (length - HEADER_BYTES) / RECORD_BYTES;
            assertEquals(whole, cache.size(), "length " + length);
            boolean torn = (length - HEADER_BYTES) % RECORD_BYTES != 0;
            assertEquals(torn ? 1 : 0, warnings.messages.size(), "length " + length + ": " + warnings.messages);
            assertEquals(HEADER_BYTES + whole * RECORD_BYTES, Files.size(cacheFile()),
                    "length " + length + ": the torn tail is cut off at once");
        }
    }

    @Test
    void trailingBytesAreCutOffWithAWarning() throws IOException {
        writeTwoEntries();
        byte[] bytes = Files.readAllBytes(cacheFile());
        Files.write(cacheFile(), Arrays.copyOf(bytes, bytes.length + 1));

        assertEquals(2, EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS).size());
        assertEquals(1, warnings.messages.size());
        assertArrayEquals(bytes, Files.readAllBytes(cacheFile()));
    }

    @Test
    void anyFlippedBitCostsAtMostTheRecordItTouches() throws IOException {
        Map<String, float[]> expected = randomEntries(3, DIMENSIONS);
        saved(expected, DIMENSIONS);
        byte[] bytes = Files.readAllBytes(cacheFile());
        assertEquals(HEADER_BYTES + 3 * RECORD_BYTES, bytes.length);
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
                    String where = "byte " + position + " bit " + bit;

                    EmbeddingCache cache = EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS);

                    if (position < HEADER_BYTES) {
                        assertEquals(0, cache.size(), where + ": a damaged header loses the file");
                        continue;
                    }
                    String lost = hashOfRecord(bytes, (position - HEADER_BYTES) / RECORD_BYTES);
                    assertEquals(2, cache.size(), where);
                    assertFalse(cache.contains(lost), where);
                    expected.forEach((hash, embedding) -> {
                        if (!hash.equals(lost)) {
                            assertArrayEquals(embedding, cache.get(hash).orElseThrow(), where);
                        }
                    });
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
    void removeDropsOneEntrySavedOrNotAndTheRemovalSurvivesAReopen() {
        List<String> hashes = new ArrayList<>(randomEntries(3, DIMENSIONS).keySet());
        EmbeddingCache cache = EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS);
        cache.put(hashes.get(0), randomEmbedding(DIMENSIONS));
        cache.put(hashes.get(1), randomEmbedding(DIMENSIONS));
        cache.save();
        cache.put(hashes.get(2), randomEmbedding(DIMENSIONS));

        cache.remove(hashes.get(0).toUpperCase(Locale.ROOT)); // saved
        cache.remove(hashes.get(2)); // not saved yet
        cache.remove(randomHash()); // not cached: nothing happens

        assertEquals(1, cache.size());
        assertTrue(cache.get(hashes.get(0)).isEmpty());
        assertTrue(cache.get(hashes.get(2)).isEmpty());
        cache.save();
        EmbeddingCache reopened = EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS);
        assertEquals(1, reopened.size());
        assertTrue(reopened.get(hashes.get(1)).isPresent());
        assertThrows(IllegalArgumentException.class, () -> cache.remove("not-a-hash"));
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
        List<Callable<Void>> tasks = new ArrayList<>();
        for (Map<String, float[]> entries : perThreadEntries) {
            tasks.add(() -> {
                entries.forEach((hash, embedding) -> {
                    cache.put(hash, embedding);
                    cache.put(sharedHash, sharedEmbedding);
                });
                return null;
            });
        }
        // Saving while others put must neither fail nor lose what arrives during the save.
        tasks.add(() -> {
            for (int i = 0; i < 20; i++) {
                cache.save();
            }
            return null;
        });
        runTogether(tasks);
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

    @Test
    void eachChangeAppendsOneRecordAndLeavesTheBytesBeforeItUntouched() throws IOException {
        Map<String, float[]> entries = randomEntries(500, DIMENSIONS);
        EmbeddingCache cache = saved(entries, DIMENSIONS);
        List<String> hashes = new ArrayList<>(entries.keySet());
        String added = randomHash();
        float[] addedEmbedding = randomEmbedding(DIMENSIONS);
        float[] replacement = randomEmbedding(DIMENSIONS);
        Set<String> allButFirst = new java.util.HashSet<>(hashes.subList(1, hashes.size()));
        allButFirst.add(added);

        List<Runnable> changes = List.of(
                () -> cache.put(added, addedEmbedding),
                () -> cache.put(hashes.get(7), replacement),
                () -> cache.retainOnly(allButFirst));
        for (Runnable change : changes) {
            byte[] before = Files.readAllBytes(cacheFile());
            change.run();
            cache.save();
            byte[] after = Files.readAllBytes(cacheFile());

            assertEquals(before.length + RECORD_BYTES, after.length);
            assertArrayEquals(before, Arrays.copyOf(after, before.length), "the bytes already there are kept");
        }

        EmbeddingCache reopened = EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS);
        assertEquals(500, reopened.size());
        assertArrayEquals(addedEmbedding, reopened.get(added).orElseThrow());
        assertArrayEquals(replacement, reopened.get(hashes.get(7)).orElseThrow());
        assertFalse(reopened.contains(hashes.get(0)));
        assertArrayEquals(entries.get(hashes.get(8)), reopened.get(hashes.get(8)).orElseThrow());
        assertEquals(List.of(), warnings.messages);
    }

    @Test
    void appendCutShortByACrashLosesOnlyThatRecord() throws IOException {
        Map<String, float[]> kept = randomEntries(3, DIMENSIONS);
        EmbeddingCache cache = EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS);
        kept.forEach((hash, embedding) -> {
            cache.put(hash, embedding);
            cache.save();
        });
        byte[] intact = Files.readAllBytes(cacheFile());
        String lastHash = randomHash();
        cache.put(lastHash, randomEmbedding(DIMENSIONS));
        cache.save();
        byte[] withLast = Files.readAllBytes(cacheFile());

        // Half of the record reached the disk; or its length did, but its bytes are still zeros.
        byte[] zeroed = withLast.clone();
        Arrays.fill(zeroed, intact.length, zeroed.length, (byte) 0);
        for (byte[] torn : List.of(Arrays.copyOf(withLast, intact.length + RECORD_BYTES / 2), zeroed)) {
            Files.write(cacheFile(), torn);
            warnings.messages.clear();

            EmbeddingCache reopened = EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS);

            assertEquals(3, reopened.size());
            assertFalse(reopened.contains(lastHash));
            kept.forEach((hash, embedding) -> assertArrayEquals(embedding, reopened.get(hash).orElseThrow()));
            assertEquals(1, warnings.messages.size(), warnings.messages::toString);
            assertTrue(warnings.messages.get(0).contains("incomplete write"), warnings.messages::toString);
            assertEquals(intact.length, Files.size(cacheFile()), "cut off, so the next append is whole");

            String next = randomHash();
            reopened.put(next, randomEmbedding(DIMENSIONS));
            reopened.save();
            assertEquals(4, EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS).size());
        }
    }

    @Test
    void corruptRecordInTheMiddleIsSkippedAndTheRecordsAfterItAreKept() throws IOException {
        Map<String, float[]> entries = randomEntries(5, DIMENSIONS);
        saved(entries, DIMENSIONS);
        byte[] bytes = Files.readAllBytes(cacheFile());
        String lost = hashOfRecord(bytes, 2);
        bytes[HEADER_BYTES + 2 * RECORD_BYTES + 40] ^= 0x10; // a bit of record 2's vector
        Files.write(cacheFile(), bytes);

        EmbeddingCache reopened = EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS);

        assertEquals(4, reopened.size());
        assertFalse(reopened.contains(lost));
        entries.forEach((hash, embedding) -> {
            if (!hash.equals(lost)) {
                assertArrayEquals(embedding, reopened.get(hash).orElseThrow(), hash);
            }
        });
        assertEquals(1, warnings.messages.size(), warnings.messages::toString);
        assertTrue(warnings.messages.get(0).contains("1 corrupt records"), warnings.messages::toString);
        assertEquals(HEADER_BYTES + 4 * RECORD_BYTES, Files.size(cacheFile()), "compacted at load");
    }

    @Test
    void compactsWhenDeadRecordsExceedHalfOfTheFile() throws IOException {
        Map<String, float[]> entries = randomEntries(4, DIMENSIONS);
        List<String> hashes = new ArrayList<>(entries.keySet());
        EmbeddingCache cache = saved(entries, DIMENSIONS);
        assertEquals(HEADER_BYTES + 4 * RECORD_BYTES, Files.size(cacheFile()));

        // 5 records, 3 live: 2 dead, not more than half.
        cache.retainOnly(Set.copyOf(hashes.subList(1, 4)));
        cache.save();
        assertEquals(HEADER_BYTES + 5 * RECORD_BYTES, Files.size(cacheFile()));

        // 6 records, 2 live: 4 dead, more than half, so the save rewrites the 2 live ones.
        cache.retainOnly(Set.copyOf(hashes.subList(2, 4)));
        cache.save();
        assertEquals(HEADER_BYTES + 2 * RECORD_BYTES, Files.size(cacheFile()));
        assertEquals(List.of(cacheFile().getFileName().toString()), fileNames(directory));

        // Still appendable after the compaction, and every value survived it.
        cache.put(hashes.get(0), entries.get(hashes.get(0)));
        cache.save();
        assertEquals(HEADER_BYTES + 3 * RECORD_BYTES, Files.size(cacheFile()));
        EmbeddingCache reopened = EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS);
        assertEquals(3, reopened.size());
        for (String hash : List.of(hashes.get(0), hashes.get(2), hashes.get(3))) {
            assertArrayEquals(entries.get(hash), reopened.get(hash).orElseThrow());
            assertArrayEquals(entries.get(hash), cache.get(hash).orElseThrow());
        }
        assertEquals(List.of(), warnings.messages);
    }

    @Test
    void fileMostlyOfDeadRecordsIsCompactedAtLoad() throws IOException {
        Map<String, float[]> entries = randomEntries(3, DIMENSIONS);
        List<String> hashes = new ArrayList<>(entries.keySet());
        EmbeddingCache cache = saved(entries, DIMENSIONS);
        // Replacing an entry twice leaves 5 records, 3 live: not yet compacted.
        cache.put(hashes.get(0), randomEmbedding(DIMENSIONS));
        cache.save();
        float[] latest = randomEmbedding(DIMENSIONS);
        cache.put(hashes.get(0), latest);
        cache.save();
        assertEquals(HEADER_BYTES + 5 * RECORD_BYTES, Files.size(cacheFile()));
        // The last record twice more, as another process's saves could have left them: 7 records, 3 live.
        byte[] bytes = Files.readAllBytes(cacheFile());
        byte[] grown = Arrays.copyOf(bytes, bytes.length + 2 * RECORD_BYTES);
        for (int copy = 0; copy < 2; copy++) {
            System.arraycopy(bytes, bytes.length - RECORD_BYTES, grown, bytes.length + copy * RECORD_BYTES,
                    RECORD_BYTES);
        }
        Files.write(cacheFile(), grown);

        EmbeddingCache reopened = EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS);

        assertEquals(HEADER_BYTES + 3 * RECORD_BYTES, Files.size(cacheFile()));
        assertArrayEquals(latest, reopened.get(hashes.get(0)).orElseThrow());
        assertEquals(List.of(), warnings.messages);
    }

    @Test
    void version1FileIsConvertedWithItsEntries() throws IOException {
        Map<String, float[]> entries = randomEntries(50, DIMENSIONS);
        Files.write(cacheFile(), version1File(FINGERPRINT, entries));

        EmbeddingCache cache = EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS);

        assertEquals(50, cache.size());
        entries.forEach((hash, embedding) -> assertArrayEquals(embedding, cache.get(hash).orElseThrow()));
        assertEquals(List.of(), warnings.messages);
        byte[] converted = Files.readAllBytes(cacheFile());
        assertEquals(2, ByteBuffer.wrap(converted).order(ByteOrder.LITTLE_ENDIAN).getInt(VERSION_OFFSET));
        assertEquals(HEADER_BYTES + 50 * RECORD_BYTES, converted.length);
        assertEquals(List.of(cacheFile().getFileName().toString()), fileNames(directory));

        String added = randomHash();
        cache.put(added, randomEmbedding(DIMENSIONS));
        cache.save();
        assertEquals(converted.length + RECORD_BYTES, Files.size(cacheFile()));
        assertEquals(51, EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS).size());
    }

    @Test
    void damagedVersion1FileIsIgnoredWithAWarningAndLeftForTheNextSave() throws IOException {
        byte[] file = version1File(FINGERPRINT, randomEntries(3, DIMENSIONS));
        file[40] ^= 1;
        Files.write(cacheFile(), file);

        EmbeddingCache cache = EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS);

        assertEquals(0, cache.size());
        assertEquals(1, warnings.messages.size(), warnings.messages::toString);
        assertTrue(warnings.messages.get(0).contains("checksum"), warnings.messages::toString);
        assertArrayEquals(file, Files.readAllBytes(cacheFile()));
        assertEquals(List.of(cacheFile().getFileName().toString()), fileNames(directory), "no temporary file left");
        cache.put(randomHash(), randomEmbedding(DIMENSIONS));
        cache.save();
        assertEquals(1, EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS).size());
    }

    @Test
    void version1FileOfAnotherModelIsAMiss() throws IOException {
        Files.write(cacheFile(), version1File(FINGERPRINT.substring(0, 16) + "0".repeat(48),
                randomEntries(3, DIMENSIONS)));

        assertEquals(0, EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS).size());
        assertEquals(List.of(), warnings.messages);
        assertEquals(List.of(cacheFile().getFileName().toString()), fileNames(directory));
    }

    @Test
    void savedVectorsAreReadFromTheFileAndARecordDamagedAfterLoadingIsAMiss() throws IOException {
        Map<String, float[]> entries = randomEntries(3, DIMENSIONS);
        saved(entries, DIMENSIONS);
        EmbeddingCache cache = EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS);
        byte[] bytes = Files.readAllBytes(cacheFile());
        String damaged = hashOfRecord(bytes, 1);
        // Written in place, as a disk fault would: the cache holds no copy of the vector to fall back on.
        try (java.io.RandomAccessFile file = new java.io.RandomAccessFile(cacheFile().toFile(), "rw")) {
            file.seek(HEADER_BYTES + RECORD_BYTES + 40);
            file.write(bytes[HEADER_BYTES + RECORD_BYTES + 40] ^ 1);
        }

        assertTrue(cache.contains(damaged));
        assertTrue(cache.get(damaged).isEmpty(), "a damaged record is a miss, never a wrong vector");
        assertFalse(cache.contains(damaged));
        assertEquals(1, warnings.messages.size(), warnings.messages::toString);
        entries.forEach((hash, embedding) -> {
            if (!hash.equals(damaged)) {
                assertArrayEquals(embedding, cache.get(hash).orElseThrow());
            }
        });

        cache.save(); // nothing new, but the damage is compacted away
        assertEquals(HEADER_BYTES + 2 * RECORD_BYTES, Files.size(cacheFile()));
        cache.close();
        assertEquals(2, EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS).size());
    }

    @Test
    void concurrentPutsGetsAndSavesSeeWholeVectors() throws Exception {
        int threads = 4;
        int perThread = 300;
        List<Map<String, float[]>> perThreadEntries = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            perThreadEntries.add(randomEntries(perThread, DIMENSIONS));
        }
        List<String> doomed = new ArrayList<>(randomEntries(200, DIMENSIONS).keySet());
        EmbeddingCache cache = EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS);
        doomed.forEach(hash -> cache.put(hash, randomEmbedding(DIMENSIONS)));
        cache.save();
        Set<String> keep = perThreadEntries.stream().flatMap(m -> m.keySet().stream()).collect(Collectors.toSet());
        List<Callable<Void>> tasks = new ArrayList<>();
        for (Map<String, float[]> entries : perThreadEntries) {
            tasks.add(() -> {
                List<String> mine = new ArrayList<>(entries.keySet());
                for (int i = 0; i < mine.size(); i++) {
                    cache.put(mine.get(i), entries.get(mine.get(i)));
                    // Every vector put so far reads back whole, saved, moved by a compaction or not.
                    String earlier = mine.get(i / 2);
                    assertArrayEquals(entries.get(earlier), cache.get(earlier).orElseThrow());
                }
                return null;
            });
        }
        tasks.add(() -> {
            for (int i = 0; i < 30; i++) {
                cache.save();
            }
            return null;
        });
        // Removals make dead records, so compactions run among the puts and reads.
        tasks.add(() -> {
            for (int i = 0; i < 20; i++) {
                cache.retainOnly(keep);
                cache.save();
            }
            return null;
        });
        runTogether(tasks);
        cache.retainOnly(keep);
        cache.save();

        assertEquals(threads * perThread, cache.size());
        EmbeddingCache reopened = EmbeddingCache.open(directory, FINGERPRINT, DIMENSIONS);
        assertEquals(threads * perThread, reopened.size());
        for (Map<String, float[]> entries : perThreadEntries) {
            entries.forEach((hash, embedding) -> assertArrayEquals(embedding, reopened.get(hash).orElseThrow()));
        }
        assertEquals(List.of(), warnings.messages);
    }

    /** A file in the format of version 1: one block, entries sorted by hash, one checksum at the end. */
    private static byte[] version1File(String fingerprint, Map<String, float[]> entries) {
        byte[] fingerprintBytes = fingerprint.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buffer = ByteBuffer.allocate(8 + 16 + fingerprintBytes.length
                + entries.size() * (32 + 4 * DIMENSIONS) + 4).order(ByteOrder.LITTLE_ENDIAN);
        buffer.put("MMRAGEMB".getBytes(StandardCharsets.US_ASCII)).putInt(1).putInt(DIMENSIONS).putInt(entries.size())
                .putInt(fingerprintBytes.length).put(fingerprintBytes);
        entries.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(entry -> {
            buffer.put(java.util.HexFormat.of().parseHex(entry.getKey()));
            for (float value : entry.getValue()) {
                buffer.putFloat(value);
            }
        });
        CRC32C checksum = new CRC32C();
        checksum.update(buffer.array(), 0, buffer.position());
        buffer.putInt((int) checksum.getValue());
        return buffer.array();
    }

    /** A cache opened in {@link #directory}, given {@code entries} and saved. */
    private EmbeddingCache saved(Map<String, float[]> entries, int dimensions) {
        EmbeddingCache cache = EmbeddingCache.open(directory, FINGERPRINT, dimensions);
        entries.forEach(cache::put);
        cache.save();
        return cache;
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

    private static byte[] withRecomputedHeaderChecksum(byte[] bytes) {
        CRC32C checksum = new CRC32C();
        checksum.update(bytes, 0, HEADER_BYTES - 4);
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(HEADER_BYTES - 4, (int) checksum.getValue());
        return bytes;
    }

    /** The content hash that record {@code number} of a version-2 file holds. */
    private static String hashOfRecord(byte[] file, int number) {
        int start = HEADER_BYTES + number * RECORD_BYTES + 4;
        return java.util.HexFormat.of().formatHex(file, start, start + 32);
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

    /** Runs every task on its own thread, all released at once, and rethrows the first failure. */
    private static void runTogether(List<Callable<Void>> tasks) throws Exception {
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(tasks.size());
        try {
            List<Future<Void>> futures = new ArrayList<>();
            for (Callable<Void> task : tasks) {
                futures.add(pool.submit(() -> {
                    start.await();
                    return task.call();
                }));
            }
            start.countDown();
            for (Future<Void> future : futures) {
                future.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
