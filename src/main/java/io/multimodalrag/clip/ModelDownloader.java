package io.multimodalrag.clip;

import io.multimodalrag.files.ContentHash;
import io.multimodalrag.files.DurableFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * Puts the files of a model variant into a folder, as a {@link Manifest} lists them.
 *
 * <p>Each file is fetched once: into a temporary file beside its target, checked against the size and
 * SHA-256 pinned in the manifest, then moved under its final name in one atomic rename. A file the
 * manifest pins no SHA-256 for is refused before anything is fetched ({@code onnx-models/download.sh}
 * verifies such a file against the checksum the Hub publishes). A failure deletes the temporary
 * file and throws a {@link ModelDownloadException} whose message says what to do; no file is ever
 * left half-written under its final name.
 *
 * <p>Redirects are followed by hand (the Hub sends large files to a CDN) so that the access token goes
 * only to the server it was meant for. The token is never logged nor put in a message.
 */
public final class ModelDownloader {

    /** Class-path location of the manifest of the model the service uses. */
    public static final String DEFAULT_MANIFEST = "model/clip-vit-base-patch32.manifest.tsv";

    private static final Logger LOG = Logger.getLogger(ModelDownloader.class);
    private static final int MAX_REDIRECTS = 10;
    private static final int BUFFER_BYTES = 64 * 1024;
    private static final long LOG_EVERY_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final int LOG_EVERY_PERCENT = 10;
    private static final String HOW_TO_FETCH_BY_HAND =
            "or fetch the model by hand with onnx-models/download.sh (see onnx-models/README.md)";

    private final Manifest manifest;
    private final URI endpoint;
    private final Optional<String> token;
    private final Duration timeout;
    private final Consumer<DownloadProgress> progressListener;
    private final HttpClient client;

    /**
     * @param manifest what to download
     * @param baseUri server to use instead of the manifest's endpoint (a mirror with the Hub's layout,
     *     or a test server); null for the manifest's
     * @param token Hugging Face access token, sent as {@code Authorization: Bearer} to that server only
     * @param timeout limit on connecting, on waiting for an answer, and on each gap between received bytes
     */
    public ModelDownloader(Manifest manifest, URI baseUri, Optional<String> token, Duration timeout) {
        this(manifest, baseUri, token, timeout, progress -> { });
    }

    /**
     * Same as {@link #ModelDownloader(Manifest, URI, Optional, Duration)}, and tells {@code progressListener}
     * how each file advances, as often as the log does (every tenth of the file or 5 seconds, and at its end).
     */
    public ModelDownloader(
            Manifest manifest, URI baseUri, Optional<String> token, Duration timeout,
            Consumer<DownloadProgress> progressListener) {
        this.manifest = Objects.requireNonNull(manifest, "manifest");
        this.endpoint = baseUri != null ? baseUri : manifest.endpoint();
        this.token = Objects.requireNonNull(token, "token").map(String::strip).filter(t -> !t.isEmpty());
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
        this.progressListener = Objects.requireNonNull(progressListener, "progressListener");
        this.client = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(timeout)
                .build();
    }

    /** The manifest of the model the service uses, from the class path. */
    public static Manifest defaultManifest() {
        return Manifest.fromClasspath(DEFAULT_MANIFEST);
    }

    /**
     * Downloads the files of the variant that are missing from the folder, or that differ from the
     * manifest. Files already there and verified are kept. Makes one attempt per file.
     *
     * @throws ModelDownloadException when a file cannot be fetched, written or verified; the message
     *     names the file and what to do
     */
    public void download(Path modelDir, String variant) {
        List<ModelFile> files = filesOf(variant);
        for (ModelFile file : files) {
            if (file.sha256().isEmpty()) {
                throw new ModelDownloadException("Downloading " + file.path() + " was refused: the manifest pins no "
                        + "sha256 for it, so it cannot be verified. Pin its sha256 in the manifest (the Hub API lists "
                        + "it as lfs.oid), or fetch the model with onnx-models/download.sh, which verifies such a "
                        + "file against the checksum the Hub publishes (see onnx-models/README.md).");
            }
        }
        createDirectories(modelDir);
        long start = System.nanoTime();
        int fetched = 0;
        ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "model-download-watchdog");
            thread.setDaemon(true);
            return thread;
        });
        try {
            for (ModelFile file : files) {
                Path target = targetOf(modelDir, file);
                if (isVerified(target, file)) {
                    LOG.debugf("%s is already in %s, verified", file.path(), modelDir);
                    continue;
                }
                fetch(file, target, watchdog);
                fetched++;
            }
        } finally {
            watchdog.shutdownNow();
        }
        LOG.infof("Model %s (%s, revision %s) is in %s: %d file(s) downloaded in %.1f s",
                manifest.name(), variant, manifest.revision(), modelDir, fetched,
                (System.nanoTime() - start) / 1e9);
    }

    private List<ModelFile> filesOf(String variant) {
        try {
            return manifest.filesFor(variant);
        } catch (IllegalArgumentException e) {
            throw new ModelDownloadException(e.getMessage() + " (set rag.model.variant to one of them)");
        }
    }

    private static Path targetOf(Path modelDir, ModelFile file) {
        return modelDir.resolve(file.target());
    }

    private static boolean hasExpectedSize(Path target, ModelFile file) {
        try {
            return Files.isRegularFile(target)
                    && (file.size().isEmpty() || Files.size(target) == file.size().getAsLong());
        } catch (IOException e) {
            return false;
        }
    }

    /** Present with the size and SHA-256 pinned. */
    private boolean isVerified(Path target, ModelFile file) {
        if (!hasExpectedSize(target, file)) {
            return false;
        }
        try {
            if (file.sha256().get().equals(ContentHash.contentHash(target))) {
                return true;
            }
            LOG.warnf("%s is in %s but its sha256 is not the one pinned; downloading it again",
                    file.path(), target.getParent());
            return false;
        } catch (IOException e) {
            return false;
        }
    }

    private void fetch(ModelFile file, Path target, ScheduledExecutorService watchdog) {
        URI uri = manifest.uri(file, endpoint);
        Path dir = target.getParent();
        createDirectories(dir);
        Path temp;
        try {
            temp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".part");
        } catch (IOException e) {
            throw new ModelDownloadException("Cannot write into the model folder " + dir + " (" + describe(e)
                    + "). Make it writable, or point rag.model.dir at a writable folder.", e);
        }
        boolean moved = false;
        try {
            LOG.infof("Downloading %s (%s) from %s", file.path(),
                    file.size().isPresent() ? String.format("%.1f MB", file.size().getAsLong() / 1e6) : "size unknown",
                    uri);
            long start = System.nanoTime();
            HttpResponse<InputStream> response = open(file, uri);
            String sha256 = receive(file, response, temp, start, watchdog);
            if (!file.sha256().get().equals(sha256)) {
                throw new ModelDownloadException("Downloading " + file.path() + " failed: its sha256 is " + sha256
                        + ", the manifest pins " + file.sha256().get() + ". The file was discarded. The server may "
                        + "hold another revision, or the transfer was corrupted: restart to try again, "
                        + HOW_TO_FETCH_BY_HAND + ".");
            }
            moveIntoPlace(temp, target);
            moved = true;
            double seconds = (System.nanoTime() - start) / 1e9;
            long bytes = size(target);
            LOG.infof("Downloaded %s: %.1f MB in %.1f s (%.1f MB/s), checksum verified",
                    file.path(), bytes / 1e6, seconds, seconds > 0 ? bytes / 1e6 / seconds : 0);
        } finally {
            if (!moved) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException e) {
                    LOG.warnf("Could not delete the partial download %s: %s", temp, describe(e));
                }
            }
        }
    }

    /** The answer to a file request, after redirects. */
    private HttpResponse<InputStream> open(ModelFile file, URI uri) {
        String home = origin(uri);
        URI current = uri;
        for (int hop = 0; ; hop++) {
            HttpRequest.Builder request = HttpRequest.newBuilder(current)
                    .timeout(timeout)
                    .header("User-Agent", "multimodal-rag-model-downloader")
                    .GET();
            boolean atHome = origin(current).equals(home);
            if (atHome) {
                token.ifPresent(t -> request.header("Authorization", "Bearer " + t));
            }
            HttpResponse<InputStream> response = send(file, uri, request.build());
            int status = response.statusCode();
            if (status == 200) {
                return response;
            }
            closeQuietly(response.body());
            if (status == 301 || status == 302 || status == 303 || status == 307 || status == 308) {
                Optional<String> location = response.headers().firstValue("location");
                if (location.isEmpty() || hop >= MAX_REDIRECTS) {
                    throw new ModelDownloadException("Downloading " + file.path() + " from " + uri + " failed: "
                            + (location.isEmpty() ? "a redirect without a Location" : "more than " + MAX_REDIRECTS
                            + " redirects") + ". Check rag.model.download.base-url, " + HOW_TO_FETCH_BY_HAND + ".");
                }
                URI next = current.resolve(location.get());
                if ("https".equalsIgnoreCase(current.getScheme()) && !"https".equalsIgnoreCase(next.getScheme())) {
                    throw new ModelDownloadException("Downloading " + file.path() + " from " + uri
                            + " failed: the server redirected from https to an insecure URL, which is refused. "
                            + "Use another mirror, " + HOW_TO_FETCH_BY_HAND + ".");
                }
                current = next;
                continue;
            }
            throw new ModelDownloadException(statusMessage(file, uri, status));
        }
    }

    private HttpResponse<InputStream> send(ModelFile file, URI uri, HttpRequest request) {
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ModelDownloadException("Downloading " + file.path() + " was interrupted.", e);
        } catch (IOException e) {
            throw new ModelDownloadException(networkMessage(file, uri, e), e);
        }
    }

    private String statusMessage(ModelFile file, URI uri, int status) {
        String head = "Downloading " + file.path() + " from " + uri + " failed with HTTP " + status + ": ";
        return switch (status) {
            case 401, 403 -> head + (token.isPresent()
                    ? "the access token was refused for this repository. Check rag.model.download.token "
                    : "the server wants an access token. Set rag.model.download.token (RAG_MODEL_DOWNLOAD_TOKEN) ")
                    + "to a Hugging Face token that can read " + manifest.repo() + ", " + HOW_TO_FETCH_BY_HAND + ".";
            case 404 -> head + "the file is not there. Check that revision " + manifest.revision() + " of "
                    + manifest.repo() + " (pinned in the model manifest) has " + file.path()
                    + ", and that rag.model.download.base-url points at a mirror with the Hub's layout, "
                    + HOW_TO_FETCH_BY_HAND + ".";
            case 429 -> head + "too many requests. Wait and restart, set an access token, " + HOW_TO_FETCH_BY_HAND + ".";
            default -> head + (status >= 500 ? "the server failed. Try again later, " : "unexpected answer. ")
                    + "Check rag.model.download.base-url, " + HOW_TO_FETCH_BY_HAND + ".";
        };
    }

    private String networkMessage(ModelFile file, URI uri, IOException e) {
        String reason = e instanceof HttpTimeoutException ? "no answer within " + timeout.toSeconds() + " s"
                : e instanceof ConnectException || e instanceof UnknownHostException ? "cannot connect to "
                        + uri.getHost() + " (" + describe(e) + ")"
                : describe(e);
        return "Downloading " + file.path() + " from " + uri + " failed: " + reason + ". If this machine has no "
                + "access to " + uri.getHost() + ", set rag.model.download.base-url to a mirror, or download the "
                + "model elsewhere with onnx-models/download.sh and copy the folder into rag.model.dir.";
    }

    /** Streams the body into {@code temp}; returns its SHA-256. */
    private String receive(ModelFile file, HttpResponse<InputStream> response, Path temp, long start,
            ScheduledExecutorService watchdog) {
        long announced = response.headers().firstValueAsLong("content-length").orElse(-1);
        long expected = file.size().orElse(announced);
        if (file.size().isPresent() && announced >= 0 && announced != expected) {
            closeQuietly(response.body());
            throw new ModelDownloadException("Downloading " + file.path() + " failed: the server announces "
                    + announced + " bytes where the manifest pins " + expected + ". It serves another revision "
                    + "or another file; check rag.model.download.base-url, " + HOW_TO_FETCH_BY_HAND + ".");
        }
        MessageDigest sha256 = digest("SHA-256");
        AtomicLong lastByteAt = new AtomicLong(System.nanoTime());
        AtomicBoolean stalled = new AtomicBoolean();
        long checkEvery = Math.max(50, timeout.toMillis() / 4);
        var guard = watchdog.scheduleWithFixedDelay(() -> {
            if (System.nanoTime() - lastByteAt.get() > timeout.toNanos() && stalled.compareAndSet(false, true)) {
                closeQuietly(response.body()); // unblocks the read below
            }
        }, checkEvery, checkEvery, TimeUnit.MILLISECONDS);
        long bytes = 0;
        boolean reading = true; // tells a network failure from a disk one
        try (InputStream in = response.body(); OutputStream out = Files.newOutputStream(temp)) {
            byte[] buffer = new byte[BUFFER_BYTES];
            long loggedAt = start;
            int loggedPercent = 0;
            while (true) {
                reading = true;
                int n = in.read(buffer);
                if (n == -1) {
                    break;
                }
                reading = false;
                lastByteAt.set(System.nanoTime());
                out.write(buffer, 0, n);
                sha256.update(buffer, 0, n);
                bytes += n;
                if (expected >= 0 && bytes > expected) {
                    throw new ModelDownloadException("Downloading " + file.path() + " failed: the server sent more "
                            + "than the " + expected + " bytes expected. Check rag.model.download.base-url, "
                            + HOW_TO_FETCH_BY_HAND + ".");
                }
                long now = System.nanoTime();
                int percent = expected > 0 ? (int) (bytes * 100 / expected) : -1;
                boolean more = expected < 0 || bytes < expected; // the end has its own report
                if (more && (now - loggedAt >= LOG_EVERY_NANOS || percent >= loggedPercent + LOG_EVERY_PERCENT)) {
                    report(new DownloadProgress(file.path(), bytes, expected, Duration.ofNanos(now - start), false));
                    loggedAt = now;
                    loggedPercent = percent < 0 ? 0 : percent - percent % LOG_EVERY_PERCENT;
                }
            }
            reading = false; // closing the output flushes it to disk
        } catch (IOException e) {
            if (stalled.get()) {
                throw stallError(file, bytes, e);
            }
            throw new ModelDownloadException(reading
                    ? "Downloading " + file.path() + " broke off after " + bytes + " bytes (" + describe(e)
                            + "). Restart to try again, " + HOW_TO_FETCH_BY_HAND + "."
                    : "Cannot write " + file.path() + " into " + temp.getParent() + " (" + describe(e)
                            + "). Check free disk space and permissions of rag.model.dir.", e);
        } finally {
            guard.cancel(false);
        }
        if (stalled.get()) {
            throw stallError(file, bytes, null);
        }
        if (expected >= 0 && bytes != expected) {
            throw new ModelDownloadException("Downloading " + file.path() + " broke off: received " + bytes + " of "
                    + expected + " bytes. Restart to try again, " + HOW_TO_FETCH_BY_HAND + ".");
        }
        report(new DownloadProgress(file.path(), bytes, expected, Duration.ofNanos(System.nanoTime() - start), true));
        return HexFormat.of().formatHex(sha256.digest());
    }

    private ModelDownloadException stallError(ModelFile file, long bytes, IOException cause) {
        return new ModelDownloadException("Downloading " + file.path() + " stalled: no data for "
                + timeout.toSeconds() + " s after " + bytes + " bytes. Restart to try again, raise "
                + "rag.model.download.timeout on a slow link, " + HOW_TO_FETCH_BY_HAND + ".", cause);
    }

    private void report(DownloadProgress progress) {
        if (!progress.done()) {
            LOG.infof("Downloading %s", progress);
        }
        try {
            progressListener.accept(progress);
        } catch (RuntimeException e) {
            LOG.debugf("Progress listener failed: %s", e);
        }
    }

    private void moveIntoPlace(Path temp, Path target) {
        try {
            DurableFiles.move(temp, target);
        } catch (IOException e) {
            throw new ModelDownloadException("Cannot move the verified download into " + target + " ("
                    + describe(e) + "). Check permissions of rag.model.dir.", e);
        }
    }

    private void createDirectories(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new ModelDownloadException("Cannot create the model folder " + dir + " (" + describe(e)
                    + "). Make it writable, or point rag.model.dir at a writable folder.", e);
        }
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return -1;
        }
    }

    private static String origin(URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        String host = uri.getHost() == null ? "" : uri.getHost().toLowerCase(Locale.ROOT);
        int port = uri.getPort() != -1 ? uri.getPort() : scheme.equals("https") ? 443 : scheme.equals("http") ? 80 : -1;
        return scheme + "://" + host + ":" + port;
    }

    private String describe(IOException e) {
        String message = e.getMessage();
        String text = message == null || message.isBlank()
                ? e.getClass().getSimpleName()
                : e.getClass().getSimpleName() + ": " + message;
        return token.map(t -> text.replace(t, "***")).orElse(text);
    }

    private static MessageDigest digest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(algorithm + " is missing from this JVM", e);
        }
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException ignored) {
            // nothing more to do with a body we are abandoning
        }
    }
}
