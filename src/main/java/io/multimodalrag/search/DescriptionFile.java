package io.multimodalrag.search;

import io.multimodalrag.files.DurableFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
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
 * found and repaired when the file is read; an append that fails (a full disk) is cut back to the
 * file's previous length before the failure is reported, or, should even that fail, before the next
 * write, so that a failed append never leaves a partial line for a later one to follow.
 *
 * <p>The file is never created by a write: an absent file is the sign of a volume that is not there
 * or a file being replaced, and a line appended to a new file would make a knowledge base of one.
 */
final class DescriptionFile {

    private static final Logger LOG = Logger.getLogger(DescriptionFile.class);

    /** How bytes reach the file; replaced in tests to fail half-way like a full disk. */
    @FunctionalInterface
    interface ChannelWriter {
        void writeAndForce(FileChannel channel, byte[] bytes) throws IOException;
    }

    private final Path file;
    private final ChannelWriter writer;
    /** The length to cut the file back to before the next write, when a failed append could not be undone; -1 if none. */
    private long cutBackTo = -1;

    DescriptionFile(Path file) {
        this(file, DurableFiles::writeAndForce);
    }

    DescriptionFile(Path file, ChannelWriter writer) {
        this.file = file;
        this.writer = writer;
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
     * @return the lines
     * @throws UncheckedIOException when the file is absent (its cause a {@link NoSuchFileException}), is not a file,
     *                              or cannot be read: never an empty list for a file that is not there
     */
    List<String> readRepairingTornTail(Predicate<String> isComplete) {
        try {
            if (Files.exists(file) && !Files.isRegularFile(file)) {
                throw new IOException(file + " is not a regular file");
            }
            cutBackFailedAppend();
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

    /**
     * Appends one line and forces it to disk before returning. On failure the file is cut back to its length before
     * the append, so that it holds the line whole or not at all.
     *
     * @throws UncheckedIOException when the file is absent (it is never created here) or cannot be written
     */
    void append(String line) {
        if (line.indexOf('\n') >= 0 || line.indexOf('\r') >= 0) {
            throw new IllegalArgumentException("a description.jsonl line cannot contain a line break");
        }
        try {
            cutBackFailedAppend();
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                long before = channel.size();
                boolean needsNewline = before > 0 && lastByte(channel) != '\n';
                byte[] text = ((needsNewline ? "\n" : "") + line + "\n").getBytes(StandardCharsets.UTF_8);
                try {
                    channel.position(before);
                    writer.writeAndForce(channel, text);
                } catch (IOException e) {
                    cutBack(channel, before, e);
                    throw e;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to " + file + ": " + e.getMessage(), e);
        }
    }

    /** Undoes a failed append; if that fails too, the next read or write tries again before anything else. */
    private void cutBack(FileChannel channel, long length, IOException failure) {
        try {
            channel.truncate(length);
            channel.force(true);
            LOG.warnf("an append to %s failed (%s); the file is back to its %d bytes before it", file.getFileName(),
                    failure.getMessage(), length);
        } catch (IOException e) {
            cutBackTo = length;
            LOG.warnf("an append to %s failed (%s) and cutting it back failed too (%s); it is cut back before the next"
                    + " write", file.getFileName(), failure.getMessage(), e.getMessage());
        }
    }

    /** Cuts the file back to where a failed append began, if an earlier attempt to do so failed. */
    private void cutBackFailedAppend() throws IOException {
        if (cutBackTo < 0) {
            return;
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            if (channel.size() > cutBackTo) {
                channel.truncate(cutBackTo);
                channel.force(true);
            }
        }
        LOG.infof("cut %s back to %d bytes, its length before a failed append", file.getFileName(), cutBackTo);
        cutBackTo = -1;
    }

    /**
     * Replaces the file's content with {@code lines} atomically (see {@link DurableFiles#replace}). Callers read the
     * file first ({@link #readRepairingTornTail}), which fails when it is absent.
     */
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
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            DurableFiles.writeAndForce(channel, bytes);
        }
    }

    private static byte lastByte(FileChannel channel) throws IOException {
        ByteBuffer one = ByteBuffer.allocate(1);
        channel.read(one, channel.size() - 1);
        return one.get(0);
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
