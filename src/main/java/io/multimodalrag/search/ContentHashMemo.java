package io.multimodalrag.search;

import io.multimodalrag.files.DurableFiles;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * The {@linkplain ContentHash content hash} of a large file (the vision tower: 351 MB in float32, about 1.1 s of
 * SHA-256 on every start) remembered in a small file beside the embedding cache, so that a warm start does not read
 * the whole file again.
 *
 * <p><b>When a remembered hash is used.</b> Only while the file is, as far as the file system can tell, the one that
 * was hashed: the same real path (symbolic links resolved, so repointing a link to another export is a change), the
 * same size, the same modification time and change time to the nanosecond the file system keeps, and the same file
 * key (device and inode where the platform has them). Replacing the file by a rename gives a new inode and change
 * time; writing into it changes its modification and change time; {@code cp -p}, {@code rsync -t} or {@code touch -d}
 * can put back an old modification time but not the change time, which only the kernel sets. Anything that differs
 * means hashing the file again.
 *
 * <p><b>When a hash is not remembered.</b> When the file changed while it was hashed (its attributes before and after
 * differ), and while its last change is less than {@link #DEFAULT_SETTLE_TIME} old: a second write within the same
 * tick of the file system's clock would leave every attribute as it was (the "racy" case of git's index), so a file
 * that was just written is hashed again at the next start, and remembered then. Failing to read or write the memo is
 * never fatal: the file is hashed as before.
 *
 * <p><b>Memo files</b> are {@code content-hash-<first 16 hex characters of the SHA-256 of the real path>.properties}
 * in the given directory, holding the path, the attributes above and the hash; the path is compared, so a prefix
 * collision reads as a miss. Not thread-safe for one file: call it from one thread at a time.
 */
final class ContentHashMemo {

    private static final Logger LOG = Logger.getLogger(ContentHashMemo.class);

    /** How old a file's last change must be before its hash is remembered (FAT keeps times to 2 s). */
    static final Duration DEFAULT_SETTLE_TIME = Duration.ofSeconds(3);

    /** Hashes a file; {@link ContentHash#contentHash(Path)} outside tests. */
    @FunctionalInterface
    interface FileHashFunction {
        String hash(Path file) throws IOException;
    }

    private final Path directory;
    private final Duration settleTime;
    private final Clock clock;
    private final FileHashFunction hashFunction;

    /** A memo in {@code directory} (created when first written) with the default settle time and hash. */
    ContentHashMemo(Path directory) {
        this(directory, DEFAULT_SETTLE_TIME, Clock.systemUTC(), ContentHash::contentHash);
    }

    ContentHashMemo(Path directory, Duration settleTime, Clock clock, FileHashFunction hashFunction) {
        this.directory = Objects.requireNonNull(directory, "directory");
        this.settleTime = Objects.requireNonNull(settleTime, "settleTime");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.hashFunction = Objects.requireNonNull(hashFunction, "hashFunction");
    }

    /**
     * The content hash of {@code file}: remembered when the file is unchanged since it was hashed, otherwise computed
     * (and remembered when the file has settled).
     *
     * @param file the file, possibly through symbolic links
     * @return its SHA-256 as 64 lower-case hex characters
     * @throws IOException if the file cannot be read
     */
    String contentHash(Path file) throws IOException {
        Path real = file.toRealPath();
        Stamp before = Stamp.of(real);
        Path memo = directory.resolve(memoName(real));
        Optional<String> remembered = read(memo).filter(m -> m.stamp().equals(before)).map(Memo::hash);
        if (remembered.isPresent()) {
            LOG.infof("content hash of %s remembered in %s (file unchanged since it was hashed)", real, memo);
            return remembered.get();
        }
        long started = System.nanoTime();
        String hash = hashFunction.hash(real);
        Stamp after = Stamp.of(real);
        double seconds = (System.nanoTime() - started) / 1e9;
        if (!after.equals(before)) {
            LOG.warnf("%s changed while it was hashed (%.1f s); its hash is not remembered", real, seconds);
        } else if (!settled(after)) {
            LOG.infof("hashed %s in %.1f s; changed less than %d s ago, so its hash is remembered at a later start",
                    real, seconds, settleTime.toSeconds());
        } else {
            write(memo, new Memo(after, hash));
            LOG.infof("hashed %s in %.1f s; remembered in %s until the file changes", real, seconds, memo);
        }
        return hash;
    }

    private boolean settled(Stamp stamp) {
        if (settleTime.isZero()) {
            // Every file counts as settled. (Without this, a file changed within the clock's current
            // millisecond would read as changed in the future: its times have nanoseconds, the clock not.)
            return true;
        }
        long now = TimeUnit.MILLISECONDS.toNanos(clock.millis());
        long lastChange = Math.max(stamp.modifiedNanos(), stamp.changedNanos());
        // A time in the future (another machine's clock, on a network file system) counts as just now.
        return now - lastChange >= settleTime.toNanos();
    }

    static String memoName(Path realPath) {
        String pathHash = ContentHash.contentHash(realPath.toString().getBytes(StandardCharsets.UTF_8));
        return "content-hash-" + pathHash.substring(0, 16) + ".properties";
    }

    private static Optional<Memo> read(Path memo) {
        try {
            Properties properties = new Properties();
            properties.load(new StringReader(Files.readString(memo, StandardCharsets.UTF_8)));
            return Optional.of(Memo.of(properties));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | UncheckedIOException | IllegalArgumentException e) {
            LOG.warnf("ignoring unusable content-hash memo %s (%s); hashing the file", memo, e.getMessage());
            return Optional.empty();
        }
    }

    private void write(Path memo, Memo content) {
        try {
            Files.createDirectories(directory);
            StringWriter text = new StringWriter();
            content.toProperties().store(text, "content hash of a file while these attributes hold (multimodal-rag)");
            DurableFiles.replace(memo, text.toString().getBytes(StandardCharsets.UTF_8));
        } catch (IOException | UncheckedIOException e) {
            LOG.warnf("could not remember the content hash in %s (%s); the file is hashed again at the next start",
                    memo, e.getMessage());
        }
    }

    /** What identifies one version of a file: see the class documentation. {@code changedNanos} is -1 where unknown. */
    record Stamp(String path, long size, long modifiedNanos, long changedNanos, String fileKey) {

        static Stamp of(Path real) throws IOException {
            BasicFileAttributes basic = Files.readAttributes(real, BasicFileAttributes.class);
            Object key = basic.fileKey();
            return new Stamp(real.toString(), basic.size(), nanos(basic.lastModifiedTime()), changeTime(real),
                    key == null ? "" : key.toString());
        }

        /** The inode change time, which no user call can set back; -1 where the platform does not report it. */
        private static long changeTime(Path real) throws IOException {
            try {
                Map<String, Object> unix = Files.readAttributes(real, "unix:ctime");
                return unix.get("ctime") instanceof FileTime time ? nanos(time) : -1;
            } catch (UnsupportedOperationException | IllegalArgumentException e) {
                return -1;
            }
        }

        private static long nanos(FileTime time) {
            return time.to(TimeUnit.NANOSECONDS);
        }
    }

    /** A memo file's content. */
    record Memo(Stamp stamp, String hash) {

        static Memo of(Properties properties) {
            Stamp stamp = new Stamp(required(properties, "path"), number(properties, "size"),
                    number(properties, "modified-nanos"), number(properties, "changed-nanos"),
                    required(properties, "file-key"));
            String hash = required(properties, "sha256");
            if (hash.length() != ContentHash.HEX_LENGTH || !hash.chars().allMatch(HexFormat::isHexDigit)) {
                throw new IllegalArgumentException("sha256 is not " + ContentHash.HEX_LENGTH + " hex characters");
            }
            return new Memo(stamp, hash.toLowerCase(java.util.Locale.ROOT));
        }

        Properties toProperties() {
            Properties properties = new Properties();
            properties.setProperty("path", stamp.path());
            properties.setProperty("size", Long.toString(stamp.size()));
            properties.setProperty("modified-nanos", Long.toString(stamp.modifiedNanos()));
            properties.setProperty("changed-nanos", Long.toString(stamp.changedNanos()));
            properties.setProperty("file-key", stamp.fileKey());
            properties.setProperty("sha256", hash);
            return properties;
        }

        private static String required(Properties properties, String key) {
            String value = properties.getProperty(key);
            if (value == null) {
                throw new IllegalArgumentException("no " + key);
            }
            return value;
        }

        private static long number(Properties properties, String key) {
            try {
                return Long.parseLong(required(properties, key));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(key + " is not a number");
            }
        }
    }
}
