package io.multimodalrag.search;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * The identity of an image's content: the SHA-256 of its bytes as 64 lower-case hex characters. Two files with the
 * same bytes share one hash, so renaming or copying an image does not make it look new to the
 * {@link EmbeddingCache}.
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
     * Hashes a file by streaming it, so large files are never held in memory whole.
     *
     * @param file the image file
     * @return the SHA-256 as 64 lower-case hex characters
     * @throws IOException if the file cannot be read
     */
    public static String contentHash(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        MessageDigest digest = sha256();
        byte[] buffer = new byte[READ_BUFFER_BYTES];
        try (InputStream in = Files.newInputStream(file)) {
            int read;
            while ((read = in.read(buffer)) != -1) {
                digest.update(buffer, 0, read);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            // Every Java platform must provide SHA-256 (MessageDigest Javadoc), so this cannot happen.
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }
}
