package io.multimodalrag.files;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import org.jboss.logging.Logger;

/**
 * Writes that survive a crash: a file is replaced by writing a temporary sibling, forcing it to
 * disk, renaming it over the target and forcing the folder, so a reader sees the old content or
 * the new one, never a mix. Shared by everything that writes files the service relies on: the knowledge base's
 * files and embedding cache, and the downloaded model.
 */
public final class DurableFiles {

    private static final Logger LOG = Logger.getLogger(DurableFiles.class);

    private DurableFiles() {
    }

    /** Replaces {@code target}'s content with {@code content} atomically; the temporary file never outlives a failure. */
    public static void replace(Path target, byte[] content) throws IOException {
        Path temp = target.resolveSibling(target.getFileName() + ".tmp");
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                writeAndForce(channel, content);
            }
            move(temp, target);
            forceDirectory(target.toAbsolutePath().getParent());
        } catch (IOException e) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException ignored) {
                // the next write overwrites it; it is never read
            }
            throw e;
        }
    }

    /**
     * Renames {@code temp} over {@code target} atomically, or, on a file system that cannot (some network and FUSE
     * mounts), replaces it plainly with a warning: every file written this way is also checked when read (checksums,
     * hashes, a whole-line parse), so a torn file is caught then, and a plain replace beats not saving at all.
     */
    public static void move(Path temp, Path target) throws IOException {
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            LOG.warnf("Atomic rename is not supported for %s; replacing it non-atomically", target);
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Writes all of {@code content} at the channel's position and forces it to disk before returning. */
    public static void writeAndForce(FileChannel channel, byte[] content) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(content);
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
        channel.force(true);
    }

    /**
     * Forces a folder's entries (a rename, a new file) to disk where the platform allows it (Windows cannot open a
     * folder; there it is skipped).
     */
    public static void forceDirectory(Path directory) {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            LOG.debugf("cannot force folder %s to disk: %s", directory, e.getMessage());
        }
    }
}
