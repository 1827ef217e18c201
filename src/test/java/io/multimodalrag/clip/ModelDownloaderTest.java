package io.multimodalrag.clip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelDownloaderTest {

    private static final String REPO = "test-org/tiny-clip";
    private static final String REVISION = "0123456789abcdef0123456789abcdef01234567";
    private static final String PREFIX = "/" + REPO + "/resolve/" + REVISION + "/";
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final byte[] vision = bytes(2_000_000, 1);
    private final byte[] text = bytes(300_000, 2);
    private final byte[] visionInt8 = bytes(500_000, 3);
    private final byte[] tokenizer = "{\"model\": \"tiny\"}\n".getBytes(StandardCharsets.UTF_8);

    private FakeServer hub;
    private FakeServer cdn;
    private final List<LogRecord> logs = new CopyOnWriteArrayList<>();
    private final Handler logCapture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            logs.add(record);
        }

        @Override
        public void flush() { }

        @Override
        public void close() { }
    };

    @TempDir
    Path dir;

    @BeforeEach
    void start() throws IOException {
        hub = new FakeServer();
        cdn = new FakeServer();
        java.util.logging.Logger.getLogger(ModelDownloader.class.getName()).addHandler(logCapture);
    }

    @AfterEach
    void stop() {
        java.util.logging.Logger.getLogger(ModelDownloader.class.getName()).removeHandler(logCapture);
        hub.close();
        cdn.close();
    }

    @Test
    void downloadsTheFilesOfTheVariantAndVerifiesThem() throws IOException {
        serveAll();
        ModelDownloader downloader = downloader(manifest(true), Optional.empty());

        downloader.download(dir, "fp32");

        assertArrayEquals(vision, Files.readAllBytes(dir.resolve("onnx/vision_model.onnx")));
        assertArrayEquals(text, Files.readAllBytes(dir.resolve("onnx/text_model.onnx")));
        assertArrayEquals(tokenizer, Files.readAllBytes(dir.resolve("tokenizer.json")));
        assertFalse(Files.exists(dir.resolve("onnx/vision_model_quantized.onnx")), "only the fp32 variant");
        assertEquals(List.of(), leftovers());
    }

    @Test
    void keepsFilesAlreadyThereAndVerified() throws IOException {
        serveAll();
        ModelDownloader downloader = downloader(manifest(true), Optional.empty());
        downloader.download(dir, "fp32");
        int requests = hub.requests.size();

        downloader.download(dir, "int8");

        assertEquals(requests + 1, hub.requests.size(), "only the int8 vision tower is fetched");
        assertEquals(PREFIX + "onnx/vision_model_quantized.onnx", hub.requests.get(requests).path());
        assertArrayEquals(visionInt8, Files.readAllBytes(dir.resolve("onnx/vision_model_quantized.onnx")));
    }

    @Test
    void replacesAFileWhoseChecksumIsWrong() throws IOException {
        serveAll();
        ModelDownloader downloader = downloader(manifest(true), Optional.empty());
        downloader.download(dir, "fp32");
        byte[] damaged = text.clone();
        damaged[10] ^= 1;
        Files.write(dir.resolve("onnx/text_model.onnx"), damaged);

        downloader.download(dir, "fp32");

        assertArrayEquals(text, Files.readAllBytes(dir.resolve("onnx/text_model.onnx")));
    }

    @Test
    void checksumMismatchThrowsAndLeavesNoFile() {
        byte[] other = vision.clone();
        other[123_456] ^= 1;
        hub.serve(PREFIX + "onnx/vision_model.onnx", ok(other, Map.of()));
        ModelDownloader downloader = downloader(manifest(true), Optional.empty());

        ModelDownloadException e = assertThrows(ModelDownloadException.class, () -> downloader.download(dir, "fp32"));

        assertTrue(e.getMessage().contains("onnx/vision_model.onnx"), e.getMessage());
        assertTrue(e.getMessage().contains("sha256 is " + sha256(other)), e.getMessage());
        assertTrue(e.getMessage().contains("pins " + sha256(vision)), e.getMessage());
        assertFalse(Files.exists(dir.resolve("onnx/vision_model.onnx")));
        assertEquals(List.of(), leftovers());
    }

    @Test
    void notFoundNamesTheFileAndWhatToDo() {
        hub.serve(PREFIX + "onnx/vision_model.onnx", status(404));
        ModelDownloader downloader = downloader(manifest(true), Optional.empty());

        ModelDownloadException e = assertThrows(ModelDownloadException.class, () -> downloader.download(dir, "fp32"));

        String message = e.getMessage();
        assertTrue(message.contains("onnx/vision_model.onnx"), message);
        assertTrue(message.contains("HTTP 404"), message);
        assertTrue(message.contains(REVISION), message);
        assertTrue(message.contains("rag.model.download.base-url"), message);
        assertTrue(message.contains("onnx-models/download.sh"), message);
        assertFalse(message.contains("\tat "), "no stack trace in the message");
        assertEquals(List.of(), leftovers());
    }

    @Test
    void followsRedirectsAndSendsTheTokenOnlyToTheServerItWasGivenFor() throws IOException {
        serveAll();
        hub.serve(PREFIX + "onnx/vision_model.onnx", redirect(cdn.uri("/blobs/vision?signature=abc"), Map.of()));
        cdn.serve("/blobs/vision", ok(vision, Map.of()));
        ModelDownloader downloader = downloader(manifest(true), Optional.of("hf_secret_token"));

        downloader.download(dir, "fp32");

        assertArrayEquals(vision, Files.readAllBytes(dir.resolve("onnx/vision_model.onnx")));
        assertTrue(hub.requests.stream().allMatch(r -> "Bearer hf_secret_token".equals(r.authorization())),
                "the token goes to the hub");
        assertEquals(1, cdn.requests.size());
        assertEquals(null, cdn.requests.get(0).authorization(), "the token never reaches the CDN");
    }

    @Test
    void followsARelativeRedirectOnTheSameServer() throws IOException {
        serveAll();
        hub.serve(PREFIX + "tokenizer.json", redirect(URI.create("/cache/tokenizer.json"), Map.of()));
        hub.serve("/cache/tokenizer.json", ok(tokenizer, Map.of()));

        downloader(manifest(true), Optional.of("hf_secret_token")).download(dir, "fp32");

        assertArrayEquals(tokenizer, Files.readAllBytes(dir.resolve("tokenizer.json")));
        assertEquals("Bearer hf_secret_token", hub.requests.stream()
                .filter(r -> r.path().equals("/cache/tokenizer.json")).findFirst().orElseThrow().authorization());
    }

    @Test
    void logsAndReportsProgressWithMegabytesAndSpeed() {
        serveAll();
        List<DownloadProgress> reports = new CopyOnWriteArrayList<>();
        ModelDownloader downloader = new ModelDownloader(manifest(true), hub.uri("/"), Optional.empty(), TIMEOUT,
                reports::add);

        downloader.download(dir, "fp32");

        List<DownloadProgress> visionReports = reports.stream()
                .filter(p -> p.path().equals("onnx/vision_model.onnx")).toList();
        assertTrue(visionReports.size() >= 9 && visionReports.size() <= 12,
                "about one report every tenth of the file: " + visionReports);
        DownloadProgress last = visionReports.get(visionReports.size() - 1);
        assertTrue(last.done());
        assertEquals(vision.length, last.bytes());
        assertEquals(vision.length, last.totalBytes());
        assertEquals(100, last.percent());

        List<String> messages = logMessages();
        assertTrue(messages.stream().anyMatch(m -> m.matches(
                "Downloading onnx/vision_model\\.onnx: [0-9.]+ of 2\\.0 MB \\([0-9]+%\\), [0-9.]+ MB/s")), messages::toString);
        assertTrue(messages.stream().anyMatch(m -> m.matches(
                "Downloaded onnx/vision_model\\.onnx: 2\\.0 MB in [0-9.]+ s \\([0-9.]+ MB/s\\), checksum verified")),
                messages::toString);
    }

    @Test
    void tokenIsSentButNeverAppearsInMessagesOrLogs() throws IOException {
        serveAll();
        hub.serve(PREFIX + "onnx/vision_model.onnx", exchange -> {
            boolean allowed = "Bearer right-token".equals(exchange.getRequestHeaders().getFirst("Authorization"));
            if (allowed) {
                ok(vision, Map.of()).handle(exchange);
            } else {
                status(401).handle(exchange);
            }
        });

        ModelDownloadException e = assertThrows(ModelDownloadException.class,
                () -> downloader(manifest(true), Optional.of("wrong-token")).download(dir, "fp32"));
        assertEquals("Bearer wrong-token", hub.requests.get(0).authorization());
        assertTrue(e.getMessage().contains("HTTP 401"), e.getMessage());
        assertTrue(e.getMessage().contains("rag.model.download.token"), e.getMessage());
        assertFalse(e.getMessage().contains("wrong-token"), e.getMessage());

        downloader(manifest(true), Optional.of("right-token")).download(dir, "fp32");
        assertArrayEquals(vision, Files.readAllBytes(dir.resolve("onnx/vision_model.onnx")));
        assertTrue(logMessages().stream().noneMatch(m -> m.contains("wrong-token") || m.contains("right-token")),
                logMessages()::toString);
    }

    @Test
    void missingTokenIsExplained() {
        hub.serve(PREFIX + "onnx/vision_model.onnx", status(403));

        ModelDownloadException e = assertThrows(ModelDownloadException.class,
                () -> downloader(manifest(true), Optional.of("  ")).download(dir, "fp32"));

        assertTrue(e.getMessage().contains("wants an access token"), e.getMessage());
        assertEquals(null, hub.requests.get(0).authorization(), "a blank token is no token");
    }

    @Test
    void unknownVariantIsRefusedWithTheKnownOnes() {
        ModelDownloader downloader = downloader(manifest(true), Optional.empty());

        ModelDownloadException e = assertThrows(ModelDownloadException.class, () -> downloader.download(dir, "fp16"));

        assertTrue(e.getMessage().contains("'fp16'") && e.getMessage().contains("fp32, int8"), e.getMessage());
        assertTrue(e.getMessage().contains("rag.model.variant"), e.getMessage());
    }

    @Test
    void unpinnedFileIsRefusedBeforeAnythingIsFetched() {
        serveAll();

        ModelDownloadException e = assertThrows(ModelDownloadException.class,
                () -> downloader(manifest(false), Optional.empty()).download(dir, "fp32"));

        assertTrue(e.getMessage().contains("cannot be verified"), e.getMessage());
        assertTrue(e.getMessage().contains("onnx-models/download.sh"), e.getMessage());
        assertEquals(0, hub.requests.size(), "nothing fetched");
        assertFalse(Files.exists(dir.resolve("onnx/vision_model.onnx")));
        assertEquals(List.of(), leftovers());
    }

    @Test
    void sizeAnnouncedByTheServerDifferentFromThePinnedOneIsRefusedBeforeDownloading() {
        hub.serve(PREFIX + "onnx/vision_model.onnx", ok(text, Map.of()));

        ModelDownloadException e = assertThrows(ModelDownloadException.class,
                () -> downloader(manifest(true), Optional.empty()).download(dir, "fp32"));

        assertTrue(e.getMessage().contains("announces " + text.length + " bytes"), e.getMessage());
        assertEquals(List.of(), leftovers());
    }

    @Test
    void stalledTransferFailsAfterTheTimeout() {
        hub.serve(PREFIX + "onnx/vision_model.onnx", exchange -> {
            exchange.sendResponseHeaders(200, vision.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(vision, 0, 100_000);
                out.flush();
                Thread.sleep(10_000);
            } catch (InterruptedException | IOException ignored) {
                // the client gave up, as it should
            }
        });
        ModelDownloader downloader = new ModelDownloader(manifest(true), hub.uri("/"), Optional.empty(),
                Duration.ofMillis(500));

        ModelDownloadException e = assertTimeoutPreemptively(Duration.ofSeconds(5),
                () -> assertThrows(ModelDownloadException.class, () -> downloader.download(dir, "fp32")));

        assertTrue(e.getMessage().contains("stalled"), e.getMessage());
        assertEquals(List.of(), leftovers());
    }

    @Test
    void unreachableServerIsExplained() throws IOException {
        URI closed;
        try (var socket = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = URI.create("http://127.0.0.1:" + socket.getLocalPort() + "/");
        }
        ModelDownloader downloader = new ModelDownloader(manifest(true), closed, Optional.empty(), TIMEOUT);

        ModelDownloadException e = assertThrows(ModelDownloadException.class, () -> downloader.download(dir, "fp32"));

        assertTrue(e.getMessage().contains("onnx/vision_model.onnx"), e.getMessage());
        assertTrue(e.getMessage().contains("onnx-models/download.sh"), e.getMessage());
        assertEquals(List.of(), leftovers());
    }

    @Test
    void defaultManifestPinsEveryFileOfBothVariants() {
        Manifest manifest = ModelDownloader.defaultManifest();

        assertEquals("Xenova/clip-vit-base-patch32", manifest.repo());
        assertTrue(manifest.revision().matches("[0-9a-f]{40}"), "pinned to a commit");
        assertEquals("fp32", manifest.defaultVariant());
        assertEquals(List.of("fp32", "int8"), List.copyOf(manifest.variants()));
        assertTrue(manifest.files().stream().allMatch(f -> f.sha256().isPresent() && f.size().isPresent()));
        assertEquals("onnx/vision_model.onnx", manifest.file("fp32", "vision").orElseThrow().target());
        assertEquals("onnx/text_model_quantized.onnx", manifest.file("int8", "text").orElseThrow().target());
        assertEquals(URI.create("https://huggingface.co/Xenova/clip-vit-base-patch32/resolve/"
                        + manifest.revision() + "/onnx/vision_model.onnx"),
                manifest.uri(manifest.file("fp32", "vision").orElseThrow(), null));
        assertEquals(URI.create("https://mirror.example/hf/Xenova/clip-vit-base-patch32/resolve/"
                        + manifest.revision() + "/tokenizer.json"),
                manifest.uri(manifest.file("fp32", "tokenizer").orElseThrow(), URI.create("https://mirror.example/hf/")));
    }

    // --- fixtures ---

    private ModelDownloader downloader(Manifest manifest, Optional<String> token) {
        return new ModelDownloader(manifest, hub.uri("/"), token, TIMEOUT);
    }

    /** A manifest over the fake files, with their checksums pinned or left to the server. */
    private Manifest manifest(boolean pinned) {
        StringBuilder text = new StringBuilder("""
                # test manifest
                name\ttiny-clip
                repo\t%s
                revision\t%s
                endpoint\thttps://hub.invalid
                url\t{endpoint}/{repo}/resolve/{revision}/{path}
                default_variant\tfp32
                """.formatted(REPO, REVISION));
        fileLine(text, "fp32", "vision", "onnx/vision_model.onnx", vision, pinned);
        fileLine(text, "fp32", "text", "onnx/text_model.onnx", this.text, pinned);
        fileLine(text, "int8", "vision", "onnx/vision_model_quantized.onnx", visionInt8, pinned);
        fileLine(text, "all", "tokenizer", "tokenizer.json", tokenizer, pinned);
        return Manifest.parse(text.toString(), "test manifest");
    }

    private static void fileLine(StringBuilder text, String variant, String role, String path, byte[] content,
            boolean pinned) {
        text.append(String.join("\t", "file", variant, role, path, path, String.valueOf(content.length),
                pinned ? sha256(content) : "-")).append('\n');
    }

    private void serveAll() {
        hub.serve(PREFIX + "onnx/vision_model.onnx", ok(vision, Map.of()));
        hub.serve(PREFIX + "onnx/text_model.onnx", ok(text, Map.of()));
        hub.serve(PREFIX + "onnx/vision_model_quantized.onnx", ok(visionInt8, Map.of()));
        hub.serve(PREFIX + "tokenizer.json", ok(tokenizer, Map.of()));
    }

    private List<Path> leftovers() {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".part")).toList();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private List<String> logMessages() {
        List<String> messages = new ArrayList<>();
        for (LogRecord record : logs) {
            Object[] parameters = record.getParameters();
            messages.add(parameters == null || parameters.length == 0
                    ? record.getMessage()
                    : String.format(record.getMessage(), parameters));
        }
        return messages;
    }

    private static byte[] bytes(int size, long seed) {
        byte[] content = new byte[size];
        new Random(seed).nextBytes(content);
        return content;
    }

    private static String sha256(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static HttpHandler ok(byte[] body, Map<String, String> headers) {
        return exchange -> {
            headers.forEach(exchange.getResponseHeaders()::add);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                // in slices, so that the client sees the body arrive in many reads
                for (int offset = 0; offset < body.length; offset += 16 * 1024) {
                    out.write(body, offset, Math.min(16 * 1024, body.length - offset));
                    out.flush();
                }
            }
        };
    }

    private static HttpHandler redirect(URI location, Map<String, String> headers) {
        return exchange -> {
            headers.forEach(exchange.getResponseHeaders()::add);
            exchange.getResponseHeaders().add("Location", location.toString());
            exchange.sendResponseHeaders(302, -1);
            exchange.close();
        };
    }

    private static HttpHandler status(int code) {
        return exchange -> {
            byte[] body = ("{\"error\": \"status " + code + "\"}").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(code, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        };
    }

    private record Request(String path, String authorization) { }

    /** An HTTP server on a random loopback port that answers the paths it was told to, and 404 elsewhere. */
    private static final class FakeServer implements AutoCloseable {
        final List<Request> requests = new CopyOnWriteArrayList<>();
        private final Map<String, HttpHandler> handlers = new ConcurrentHashMap<>();
        private final HttpServer server;

        FakeServer() throws IOException {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.createContext("/", this::handle);
            server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
            server.start();
        }

        void serve(String path, HttpHandler handler) {
            handlers.put(path, handler);
        }

        URI uri(String pathAndQuery) {
            return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + pathAndQuery);
        }

        private void handle(HttpExchange exchange) throws IOException {
            String path = exchange.getRequestURI().getPath();
            requests.add(new Request(path, exchange.getRequestHeaders().getFirst("Authorization")));
            handlers.getOrDefault(path, status(404)).handle(exchange);
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }
}
