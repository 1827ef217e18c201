package io.multimodalrag.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multimodalrag.files.DurableFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.NoSuchFileException;
import java.util.concurrent.atomic.AtomicInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DescriptionFileTest {

    private static final Predicate<String> WHOLE_OBJECT = line -> line.startsWith("{") && line.endsWith("}");

    @TempDir
    Path dir;

    @Test
    void aTornLastLineIsCutOff() throws IOException {
        Path file = dir.resolve("description.jsonl");
        Files.writeString(file, "{\"a\": 1}\n{\"b\": 2}\n{\"c\": ");
        assertEquals(List.of("{\"a\": 1}", "{\"b\": 2}"), new DescriptionFile(file).readRepairingTornTail(WHOLE_OBJECT));
        assertEquals("{\"a\": 1}\n{\"b\": 2}\n", Files.readString(file));
    }

    @Test
    void aCompleteLastLineWithoutNewlineIsKept() throws IOException {
        Path file = dir.resolve("description.jsonl");
        Files.writeString(file, "{\"a\": 1}\n{\"b\": 2}");
        assertEquals(List.of("{\"a\": 1}", "{\"b\": 2}"), new DescriptionFile(file).readRepairingTornTail(WHOLE_OBJECT));
        assertEquals("{\"a\": 1}\n{\"b\": 2}\n", Files.readString(file));
    }

    @Test
    void appendAddsWholeLinesEvenAfterAFileWithoutFinalNewline() throws IOException {
        Path file = dir.resolve("description.jsonl");
        Files.writeString(file, "{\"a\": 1}");
        DescriptionFile descriptions = new DescriptionFile(file);
        descriptions.append("{\"b\": 2}");
        assertEquals("{\"a\": 1}\n{\"b\": 2}\n", Files.readString(file));
        assertThrows(IllegalArgumentException.class, () -> descriptions.append("{\"c\":\n3}"));
    }

    @Test
    void rewriteReplacesAtomicallyAndLeavesNoTemporaryFile() throws IOException {
        Path file = dir.resolve("description.jsonl");
        Files.writeString(file, "{\"a\": 1}\n{\"b\": 2}\n");
        Files.writeString(dir.resolve("description.jsonl.tmp"), "left over by a crash");
        new DescriptionFile(file).rewrite(List.of("{\"b\": 2}"));
        assertEquals("{\"b\": 2}\n", Files.readString(file));
        assertFalse(Files.exists(dir.resolve("description.jsonl.tmp")));
    }

    @Test
    void aMissingFileIsAFailureNotAnEmptyList() {
        UncheckedIOException missing = assertThrows(UncheckedIOException.class,
                () -> new DescriptionFile(dir.resolve("none.jsonl")).readRepairingTornTail(WHOLE_OBJECT));
        assertTrue(missing.getCause() instanceof NoSuchFileException, missing.toString());
    }

    @Test
    void aFolderInPlaceOfTheFileIsAFailure() throws IOException {
        Files.createDirectory(dir.resolve("description.jsonl"));
        assertThrows(UncheckedIOException.class,
                () -> new DescriptionFile(dir.resolve("description.jsonl")).readRepairingTornTail(WHOLE_OBJECT));
    }

    @Test
    void anAppendNeverCreatesTheFile() {
        Path file = dir.resolve("description.jsonl");
        assertThrows(UncheckedIOException.class, () -> new DescriptionFile(file).append("{\"a\": 1}"));
        assertFalse(Files.exists(file));
    }

    @Test
    void anAppendThatFailsHalfWayIsCutBackToTheFilesFormerLength() throws IOException {
        Path file = dir.resolve("description.jsonl");
        Files.writeString(file, "{\"a\": 1}\n");
        DescriptionFile full = new DescriptionFile(file, (channel, bytes) -> {
            // What a full disk does: part of the line reaches the file, then the write fails.
            channel.write(ByteBuffer.wrap(bytes, 0, bytes.length / 2));
            throw new IOException("No space left on device");
        });
        UncheckedIOException failure = assertThrows(UncheckedIOException.class, () -> full.append("{\"b\": 2}"));
        assertTrue(failure.getMessage().contains("No space left on device"), failure.getMessage());
        assertEquals("{\"a\": 1}\n", Files.readString(file), "no partial line left behind");

        new DescriptionFile(file).append("{\"c\": 3}");
        assertEquals(List.of("{\"a\": 1}", "{\"c\": 3}"), new DescriptionFile(file).readRepairingTornTail(WHOLE_OBJECT));
    }

    @Test
    void anAppendWhoseCutBackAlsoFailsIsRepairedBeforeTheNextWrite() throws IOException {
        Path file = dir.resolve("description.jsonl");
        Files.writeString(file, "{\"a\": 1}\n");
        AtomicInteger calls = new AtomicInteger();
        DescriptionFile descriptions = new DescriptionFile(file, (channel, bytes) -> {
            if (calls.incrementAndGet() == 1) {
                channel.write(ByteBuffer.wrap(bytes, 0, 3));
                channel.close(); // so that truncating it fails as well
                throw new IOException("No space left on device");
            }
            DurableFiles.writeAndForce(channel, bytes);
        });
        assertThrows(UncheckedIOException.class, () -> descriptions.append("{\"b\": 2}"));
        assertEquals("{\"a\": 1}\n{\"b".length(), Files.size(file), "the partial line is still there");

        descriptions.append("{\"c\": 3}");
        assertEquals("{\"a\": 1}\n{\"c\": 3}\n", Files.readString(file), "cut back first, then appended");
    }
}
