package io.multimodalrag.files;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * The identity of an image's content: the SHA-256 of its bytes as 64 lower-case hex characters. Two files with the
 * same bytes share one hash, so renaming or copying an image does not make it look new to the embedding cache. The
 * vision tower's weights are identified the same way, and a downloaded file is checked against its pinned hash.
 */
public final class ContentHash {

    /** Length of a content hash in hex characters. */
    public static final int HEX_LENGTH = 64;

    private static final int READ_BUFFER_BYTES = 64 * 1024;

    private ContentHash() {
    }

    /**
     * Hashes bytes already in memory.
     *
     * @param bytes the image bytes
     * @return the SHA-256 as 64 lower-case hex characters
     */
    public static String contentHash(byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        return HexFormat.of().formatHex(sha256().digest(bytes));
    }

    /**
     * Hashes a file by streaming it, so large files are never held in memory whole. To hash many files, use one
     * {@link FileHasher}: it reuses its buffer.
     *
     * @param file the image file
     * @return the SHA-256 as 64 lower-case hex characters
     * @throws IOException if the file cannot be read
     */
    public static String contentHash(Path file) throws IOException {
        return new FileHasher().contentHash(file);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            // Every Java platform must provide SHA-256 (MessageDigest Javadoc), so this cannot happen.
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    /**
     * Hashes files one after another through one digest and one 64 KiB buffer, and keeps the first bytes of the last
     * file so that its format can be recognised without opening it again. Loading a knowledge base of 10,000 images
     * with a fresh buffer per file made 640 MB of garbage, which the JVM answered by growing, and keeping, its heap.
     * Not thread-safe: one per thread.
     */
    public static final class FileHasher {

        /** Bytes of each file kept by {@link #head()}: enough for every image signature the decoder knows. */
        public static final int HEAD_BYTES = 32;

        private final MessageDigest digest = sha256();
        private final byte[] buffer = new byte[READ_BUFFER_BYTES];
        private final ByteBuffer wrapped = ByteBuffer.wrap(buffer);
        private final byte[] head = new byte[HEAD_BYTES];
        private int headLength;

        /**
         * Hashes a file by streaming it through the reused buffer.
         *
         * @param file the file
         * @return the SHA-256 as 64 lower-case hex characters
         * @throws IOException if the file cannot be read; {@link #head()} is then empty
         */
        public String contentHash(Path file) throws IOException {
            Objects.requireNonNull(file, "file");
            digest.reset();
            headLength = 0;
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
                int read;
                while ((read = channel.read(wrapped.clear())) != -1) {
                    int toHead = Math.min(read, HEAD_BYTES - headLength);
                    System.arraycopy(buffer, 0, head, headLength, toHead);
                    headLength += toHead;
                    digest.update(buffer, 0, read);
                }
            } catch (IOException e) {
                headLength = 0;
                throw e;
            }
            return HexFormat.of().formatHex(digest.digest());
        }

        /**
         * The first {@value #HEAD_BYTES} bytes (fewer for a shorter file) of the file hashed last.
         *
         * @return a copy of those bytes; empty before the first file or after a failed one
         */
        public byte[] head() {
            return Arrays.copyOf(head, headLength);
        }
    }
}
