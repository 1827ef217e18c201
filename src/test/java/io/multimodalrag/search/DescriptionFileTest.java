package io.multimodalrag.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
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
    void aMissingFileReadsAsEmpty() {
        assertEquals(List.of(), new DescriptionFile(dir.resolve("none.jsonl")).readRepairingTornTail(WHOLE_OBJECT));
    }
}
