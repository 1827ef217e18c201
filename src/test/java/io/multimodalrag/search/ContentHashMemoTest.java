package io.multimodalrag.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The remembered content hash of the vision tower: reused only while the file is the one that was hashed, never after
 * it was replaced or rewritten, even when size and modification time were put back.
 */
class ContentHashMemoTest {

    @TempDir
    Path folder;

    /** Hashes for real and records which files it read. */
    private final List<Path> hashed = new ArrayList<>();

    private ContentHashMemo memo(Duration settleTime) {
        return new ContentHashMemo(folder.resolve("cache"), settleTime, Clock.systemUTC(), file -> {
            hashed.add(file);
            return ContentHash.contentHash(file);
        });
    }

    /** A memo that treats every file as settled, as if it had been written long ago. */
    private ContentHashMemo settledMemo() {
        return memo(Duration.ZERO);
    }

    private Path model(String name, String content) throws IOException {
        Path file = folder.resolve(name);
        Files.writeString(file, content, StandardCharsets.UTF_8);
        return file;
    }

    @Test
    void anUnchangedFileIsHashedOnceAndItsHashRemembered() throws IOException {
        Path file = model("vision_model.onnx", "weights, version 1");

        String first = settledMemo().contentHash(file);
        String second = settledMemo().contentHash(file);

        assertEquals(ContentHash.contentHash(file), first);
        assertEquals(first, second);
        assertEquals(1, hashed.size(), "the second start reads the memo, not the file");
        assertEquals(1, memoFiles().size());
    }

    @Test
    void aFileReplacedByARenameWithTheSameSizeAndModificationTimeIsHashedAgain() throws IOException {
        Path file = model("vision_model.onnx", "weights, version 1");
        FileTime modified = Files.getLastModifiedTime(file);
        String before = settledMemo().contentHash(file);

        // What a download or a deployment does: write beside, rename over. Same length, same mtime.
        Path replacement = model("vision_model.onnx.part", "weights, version 2");
        Files.setLastModifiedTime(replacement, modified);
        Files.move(replacement, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        assertEquals(Files.size(folder.resolve("vision_model.onnx")), "weights, version 1".length());
        assertEquals(modified, Files.getLastModifiedTime(file));

        String after = settledMemo().contentHash(file);

        assertNotEquals(before, after);
        assertEquals(ContentHash.contentHash(file), after);
        assertEquals(2, hashed.size());
    }

    @Test
    void aFileRewrittenInPlaceWithItsModificationTimePutBackIsHashedAgain() throws Exception {
        Path file = model("vision_model.onnx", "weights, version 1");
        FileTime modified = Files.getLastModifiedTime(file);
        ContentHashMemo.Stamp hashedStamp = ContentHashMemo.Stamp.of(file.toRealPath());
        String before = settledMemo().contentHash(file);

        // Past the file system clock's tick (jiffies on Linux), so the kernel's change time moves on.
        Thread.sleep(50);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap("weights, version 2".getBytes(StandardCharsets.UTF_8)), 0);
        }
        Files.setLastModifiedTime(file, modified); // as touch -d, cp -p or rsync -t would
        ContentHashMemo.Stamp rewritten = ContentHashMemo.Stamp.of(file.toRealPath());
        assertEquals(hashedStamp.size(), rewritten.size());
        assertEquals(hashedStamp.modifiedNanos(), rewritten.modifiedNanos());
        assertEquals(hashedStamp.fileKey(), rewritten.fileKey(), "the same inode");
        // On a file system that keeps times to the second the rewrite may share the change time; there the
        // settle time, not this check, keeps a stale hash from being used.
        assumeTrue(rewritten.changedNanos() != hashedStamp.changedNanos(), "change time too coarse to tell 50 ms apart");

        String after = settledMemo().contentHash(file);

        assertNotEquals(before, after, "the change time told the rewrite apart");
        assertEquals(ContentHash.contentHash(file), after);
        assertEquals(2, hashed.size());
    }

    @Test
    void aFileOfAnotherSizeIsHashedAgain() throws IOException {
        Path file = model("vision_model.onnx", "weights, version 1");
        FileTime modified = Files.getLastModifiedTime(file);
        settledMemo().contentHash(file);

        Files.writeString(file, "weights, version 1 and more", StandardCharsets.UTF_8);
        Files.setLastModifiedTime(file, modified);

        assertEquals(ContentHash.contentHash(file), settledMemo().contentHash(file));
        assertEquals(2, hashed.size());
    }

    @Test
    void aSymbolicLinkPointedAtAnotherFileIsHashedAgain() throws IOException {
        Path v1 = model("v1.onnx", "weights, version 1");
        Path v2 = model("v2.onnx", "weights, version 2");
        Path link = folder.resolve("vision_model.onnx");
        Files.createSymbolicLink(link, v1.getFileName());
        assertEquals(ContentHash.contentHash(v1), settledMemo().contentHash(link));

        Files.delete(link);
        Files.createSymbolicLink(link, v2.getFileName());

        assertEquals(ContentHash.contentHash(v2), settledMemo().contentHash(link));
        assertEquals(List.of(v1.toRealPath(), v2.toRealPath()), hashed);
    }

    @Test
    void aFileChangedMomentsAgoIsHashedButNotRemembered() throws IOException {
        Path file = model("vision_model.onnx", "weights, version 1");
        ContentHashMemo memo = memo(Duration.ofMinutes(10));

        memo.contentHash(file);
        memo.contentHash(file);

        assertEquals(2, hashed.size(), "a second write within the same clock tick would be invisible");
        assertEquals(List.of(), memoFiles());
    }

    @Test
    void aFileWithAChangeTimeInTheFutureCountsAsJustChanged() throws IOException {
        Path file = model("vision_model.onnx", "weights, version 1");
        Clock anHourAgo = Clock.fixed(Instant.now().minus(Duration.ofHours(1)), ZoneOffset.UTC);
        ContentHashMemo memo = new ContentHashMemo(folder.resolve("cache"), Duration.ofSeconds(3), anHourAgo,
                ContentHash::contentHash);

        memo.contentHash(file);

        assertEquals(List.of(), memoFiles());
    }

    @Test
    void anUnusableMemoIsIgnoredAndReplaced() throws IOException {
        Path file = model("vision_model.onnx", "weights, version 1");
        String hash = settledMemo().contentHash(file);
        Path memoFile = memoFiles().get(0);
        String good = Files.readString(memoFile);

        for (String bad : List.of("", "not properties at all \\u12", good.replaceAll("(?m)^sha256=.*$", "sha256=xyz"),
                good.replaceAll("(?m)^size=.*$", "size=many"), good.replaceAll("(?m)^path=.*$", "path=/elsewhere"),
                good.replaceAll("(?m)^sha256=.*$", "sha256=" + "0".repeat(64)).replaceAll("(?m)^size=.*$", "size=1"))) {
            Files.writeString(memoFile, bad);
            assertEquals(hash, settledMemo().contentHash(file), bad);
        }
        assertEquals(7, hashed.size(), "the first start and each unusable memo");
        assertEquals(good.lines().filter(l -> !l.startsWith("#")).toList(),
                Files.readString(memoFile).lines().filter(l -> !l.startsWith("#")).toList(), "rewritten");
    }

    @Test
    void withoutASettleTimeEvenAFileChangedAfterTheClocksNowIsRemembered() throws IOException {
        // The clock reads milliseconds and file times have nanoseconds, so a file written and hashed within one
        // millisecond looks changed in the future; a settle time of zero must still remember it.
        Path file = model("vision_model.onnx", "weights, version 1");
        Clock anHourAgo = Clock.fixed(Instant.now().minus(Duration.ofHours(1)), ZoneOffset.UTC);
        new ContentHashMemo(folder.resolve("cache"), Duration.ZERO, anHourAgo, ContentHash::contentHash).contentHash(file);

        assertEquals(1, memoFiles().size());
    }

    @Test
    void aMemoThatCannotBeWrittenIsNotFatal() throws IOException {
        Path file = model("vision_model.onnx", "weights, version 1");
        Path notAFolder = model("cache", "a file where the cache folder should be");
        ContentHashMemo memo = new ContentHashMemo(notAFolder, Duration.ZERO, Clock.systemUTC(), ContentHash::contentHash);

        assertEquals(ContentHash.contentHash(file), memo.contentHash(file));
        assertEquals(ContentHash.contentHash(file), memo.contentHash(file));
    }

    @Test
    void aMissingFileIsAnError() {
        assertThrows(NoSuchFileException.class, () -> settledMemo().contentHash(folder.resolve("missing.onnx")));
        assertFalse(Files.exists(folder.resolve("cache")));
    }

    @Test
    void theRememberedHashIsTheHashOfTheRealFile() throws IOException {
        Path file = model("vision_model.onnx", "weights, version 1");
        settledMemo().contentHash(file);

        String memoText = Files.readString(memoFiles().get(0));

        assertTrue(memoText.contains("sha256=" + ContentHash.contentHash(file)), memoText);
        assertEquals(ContentHashMemo.memoName(file.toRealPath()), memoFiles().get(0).getFileName().toString());
    }

    private List<Path> memoFiles() throws IOException {
        Path cache = folder.resolve("cache");
        if (!Files.isDirectory(cache)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(cache)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".properties")).sorted().toList();
        }
    }
}
