package io.multimodalrag.search;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.jboss.logging.Logger;

/**
 * description.jsonl on disk, written so that a crash never corrupts it: an added entry is one
 * appended line forced to disk; an edit rewrites the whole file into a temporary file that is
 * forced and atomically renamed over the original. A line torn by a crash during an append is
 * found and repaired when the file is read.
 */
final class DescriptionFile {

    private static final Logger LOG = Logger.getLogger(DescriptionFile.class);

    private final Path file;

    DescriptionFile(Path file) {
        this.file = file;
    }

    Path path() {
        return file;
    }

    /**
     * The file's lines (without line terminators). If the last line has no newline it was torn by
     * a crash in the middle of an append, unless it is a complete JSON object: a torn line is cut
     * off with a warning, a complete one gets its newline.
     *
     * @param isComplete whether a line is a whole entry
     * @return the lines, or an empty list when the file does not exist
     */
    List<String> readRepairingTornTail(Predicate<String> isComplete) {
        if (!Files.isRegularFile(file)) {
            return List.of();
        }
        try {
            byte[] bytes = Files.readAllBytes(file);
            int end = bytes.length;
            if (end > 0 && bytes[end - 1] != '\n') {
                int lastNewline = lastIndexOf(bytes, (byte) '\n');
                String tail = new String(bytes, lastNewline + 1, end - lastNewline - 1, StandardCharsets.UTF_8);
                int lineNumber = countLines(bytes, lastNewline + 1) + 1;
                if (isComplete.test(tail.strip())) {
                    appendBytes(new byte[] {'\n'});
                    LOG.warnf("%s line %d had no line end; added one", file.getFileName(), lineNumber);
                } else {
                    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
                        channel.truncate(lastNewline + 1L);
                        channel.force(true);
                    }
                    LOG.warnf("%s line %d was cut short, probably by a crash while it was written; removed it: %s",
                            file.getFileName(), lineNumber, abbreviate(tail));
                    end = lastNewline + 1;
                }
            }
            String text = new String(bytes, 0, end, StandardCharsets.UTF_8);
            List<String> lines = new ArrayList<>(text.lines().toList());
            return lines;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Appends one line and forces it to disk before returning. */
    void append(String line) {
        if (line.indexOf('\n') >= 0 || line.indexOf('\r') >= 0) {
            throw new IllegalArgumentException("a description.jsonl line cannot contain a line break");
        }
        try {
            boolean needsNewline = Files.exists(file) && Files.size(file) > 0 && lastByte() != '\n';
            String text = (needsNewline ? "\n" : "") + line + "\n";
            appendBytes(text.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to " + file + ": " + e.getMessage(), e);
        }
    }

    /** Replaces the file's content with {@code lines} atomically (see {@link DurableFiles#replace}). */
    void rewrite(List<String> lines) {
        StringBuilder text = new StringBuilder();
        for (String line : lines) {
            text.append(line).append('\n');
        }
        try {
            DurableFiles.replace(file, text.toString().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot rewrite " + file + ": " + e.getMessage(), e);
        }
    }

    private void appendBytes(byte[] bytes) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND)) {
            DurableFiles.writeAndForce(channel, bytes);
        }
    }

    private byte lastByte() throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer one = ByteBuffer.allocate(1);
            channel.read(one, channel.size() - 1);
            return one.get(0);
        }
    }

    private static int lastIndexOf(byte[] bytes, byte value) {
        for (int i = bytes.length - 1; i >= 0; i--) {
            if (bytes[i] == value) {
                return i;
            }
        }
        return -1;
    }

    private static int countLines(byte[] bytes, int until) {
        int count = 0;
        for (int i = 0; i < until; i++) {
            if (bytes[i] == '\n') {
                count++;
            }
        }
        return count;
    }

    private static String abbreviate(String text) {
        return text.length() <= 80 ? text : text.substring(0, 80) + "…";
    }
}
