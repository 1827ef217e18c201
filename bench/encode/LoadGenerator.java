import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Bounded closed-loop load on POST /v1/embeddings/image: CONCURRENCY clients each send one
 * multipart upload at a time, cycling through the given images, until REQUESTS have been sent or
 * SECONDS have passed, after WARMUP requests that are not counted (sent by the same clients, at the
 * same concurrency, on the same connections). Only 127.0.0.1 is accepted.
 *
 *   java bench/encode/LoadGenerator.java URL CONCURRENCY REQUESTS SECONDS WARMUP IMAGE...
 *
 * Each client is one keep-alive HTTP/1.1 connection written and read directly on a socket, with every
 * request's bytes prepared before the clock starts, so that what is timed is the service and loopback,
 * not a client library (java.net.http added about a millisecond per request and a thread hop each way).
 * A response is read to its end (Content-Length or chunked); a connection the server closes is opened
 * again. Prints one JSON line: images/s, latency percentiles (ms) and the count of non-200 answers.
 */
public final class LoadGenerator {

    public static void main(String[] args) throws Exception {
        URI uri = URI.create(args[0]);
        if (!"127.0.0.1".equals(uri.getHost())) {
            throw new IllegalArgumentException("the load generator only targets 127.0.0.1, not " + uri.getHost());
        }
        int concurrency = Integer.parseInt(args[1]);
        int requests = Integer.parseInt(args[2]);
        long deadlineNanos = (long) (Double.parseDouble(args[3]) * 1e9);
        int warmup = Integer.parseInt(args[4]);
        List<byte[]> messages = new ArrayList<>();
        String boundary = "bench-boundary-7d1f";
        for (int i = 5; i < args.length; i++) {
            Path file = Path.of(args[i]);
            String type = file.toString().endsWith(".png") ? "image/png" : file.toString().endsWith(".webp") ? "image/webp" : "image/jpeg";
            byte[] head = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"" + file.getFileName()
                    + "\"\r\nContent-Type: " + type + "\r\n\r\n").getBytes(StandardCharsets.UTF_8);
            byte[] image = Files.readAllBytes(file);
            byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8);
            int length = head.length + image.length + tail.length;
            byte[] headers = ("POST " + uri.getRawPath() + " HTTP/1.1\r\nHost: " + uri.getHost() + ":" + uri.getPort()
                    + "\r\nContent-Type: multipart/form-data; boundary=" + boundary + "\r\nContent-Length: " + length
                    + "\r\nAccept: application/json\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            ByteArrayOutputStream message = new ByteArrayOutputStream(headers.length + length);
            message.writeBytes(headers);
            message.writeBytes(head);
            message.writeBytes(image);
            message.writeBytes(tail);
            messages.add(message.toByteArray());
        }
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", uri.getPort());
        AtomicInteger next = new AtomicInteger();
        AtomicInteger errors = new AtomicInteger();
        long[] latencies = new long[requests];
        AtomicInteger done = new AtomicInteger();
        AtomicLong start = new AtomicLong();

        // The clients warm up on the connections and threads they measure on, all at once: a new level's first
        // requests (new connections, another concurrency) make the JIT recompile parts of the HTTP path, and that
        // belongs to the warm-up, not to the measured window.
        AtomicInteger warmed = new AtomicInteger();
        CyclicBarrier measuring = new CyclicBarrier(concurrency, () -> start.set(System.nanoTime()));
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < concurrency; c++) {
            Thread t = new Thread(() -> {
                try (Connection connection = new Connection(address)) {
                    for (int w = warmed.getAndIncrement(); w < warmup; w = warmed.getAndIncrement()) {
                        connection.send(messages.get(w % messages.size()));
                    }
                    await(measuring);
                    while (true) {
                        int n = next.getAndIncrement();
                        if (n >= requests || System.nanoTime() - start.get() > deadlineNanos) {
                            return;
                        }
                        long t0 = System.nanoTime();
                        int status = connection.send(messages.get(n % messages.size()));
                        long took = System.nanoTime() - t0;
                        if (status != 200) {
                            errors.incrementAndGet();
                        }
                        latencies[done.getAndIncrement()] = took;
                    }
                }
            });
            t.start();
            clients.add(t);
        }
        for (Thread t : clients) {
            t.join();
        }
        double elapsed = (System.nanoTime() - start.get()) / 1e9;
        int count = done.get();
        long[] sorted = Arrays.copyOf(latencies, count);
        Arrays.sort(sorted);
        System.out.println(String.format(Locale.ROOT,
                "{\"concurrency\":%d,\"requests\":%d,\"errors\":%d,\"seconds\":%.2f,\"imagesPerSecond\":%.3f,"
                        + "\"p50\":%.1f,\"p95\":%.1f,\"p99\":%.1f}",
                concurrency, count, errors.get(), elapsed, (count - errors.get()) / elapsed,
                pct(sorted, 0.50), pct(sorted, 0.95), pct(sorted, 0.99)));
    }

    private static void await(CyclicBarrier barrier) {
        try {
            barrier.await();
        } catch (InterruptedException | BrokenBarrierException e) {
            throw new IllegalStateException("a client did not finish warming up", e);
        }
    }

    private static double pct(long[] sorted, double p) {
        return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) (sorted.length * p))] / 1e6;
    }

    /** One keep-alive HTTP/1.1 connection, opened again after the server closes it or an I/O error. */
    private static final class Connection implements AutoCloseable {
        private final InetSocketAddress address;
        private Socket socket;
        private InputStream in;
        private OutputStream out;

        Connection(InetSocketAddress address) {
            this.address = address;
        }

        /** Sends one prepared request and reads its whole response; returns the status, or -1 on an I/O error. */
        int send(byte[] message) {
            try {
                if (socket == null) {
                    socket = new Socket();
                    socket.setTcpNoDelay(true);
                    socket.setSoTimeout(120_000);
                    socket.connect(address, 5_000);
                    in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
                    out = socket.getOutputStream();
                }
                out.write(message);
                out.flush();
                return readResponse();
            } catch (IOException e) {
                close();
                return -1;
            }
        }

        private int readResponse() throws IOException {
            String status = line();
            int code = Integer.parseInt(status.substring(9, 12));
            long length = -1;
            boolean chunked = false;
            boolean closeAfter = false;
            for (String header = line(); !header.isEmpty(); header = line()) {
                String lower = header.toLowerCase(Locale.ROOT);
                if (lower.startsWith("content-length:")) {
                    length = Long.parseLong(lower.substring(15).trim());
                } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                    chunked = true;
                } else if (lower.startsWith("connection:") && lower.contains("close")) {
                    closeAfter = true;
                }
            }
            if (chunked) {
                for (long size = Long.parseLong(line().split(";")[0].trim(), 16); size > 0;
                        size = Long.parseLong(line().split(";")[0].trim(), 16)) {
                    skip(size);
                    line();
                }
                while (!line().isEmpty()) {
                    // trailers
                }
            } else if (length >= 0) {
                skip(length);
            } else {
                closeAfter = true; // body until the server closes
                while (in.read() >= 0) {
                    // drain
                }
            }
            if (closeAfter) {
                close();
            }
            return code;
        }

        private void skip(long count) throws IOException {
            while (count > 0) {
                long skipped = in.skip(count);
                if (skipped <= 0) {
                    if (in.read() < 0) {
                        throw new EOFException("the response ended early");
                    }
                    skipped = 1;
                }
                count -= skipped;
            }
        }

        private String line() throws IOException {
            StringBuilder line = new StringBuilder(64);
            for (int b = in.read(); b != '\n'; b = in.read()) {
                if (b < 0) {
                    throw new EOFException("the connection closed mid-response");
                }
                if (b != '\r') {
                    line.append((char) b);
                }
            }
            return line.toString();
        }

        @Override
        public void close() {
            if (socket != null) {
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
                socket = null;
            }
        }
    }
}
