import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Bounded closed-loop load on POST /v1/embeddings/image: CONCURRENCY clients each send one
 * multipart upload at a time, cycling through the given images, until REQUESTS have been sent or
 * SECONDS have passed (after WARMUP requests that are not counted). Only 127.0.0.1 is accepted.
 *
 *   java bench/encode/LoadGenerator.java URL CONCURRENCY REQUESTS SECONDS WARMUP IMAGE...
 *
 * Prints one JSON line: images/s, latency percentiles (ms) and the count of non-200 answers.
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
        List<byte[]> bodies = new ArrayList<>();
        String boundary = "bench-boundary-7d1f";
        for (int i = 5; i < args.length; i++) {
            Path file = Path.of(args[i]);
            String type = file.toString().endsWith(".png") ? "image/png" : file.toString().endsWith(".webp") ? "image/webp" : "image/jpeg";
            byte[] head = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"" + file.getFileName()
                    + "\"\r\nContent-Type: " + type + "\r\n\r\n").getBytes(StandardCharsets.UTF_8);
            byte[] image = Files.readAllBytes(file);
            byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8);
            byte[] body = Arrays.copyOf(head, head.length + image.length + tail.length);
            System.arraycopy(image, 0, body, head.length, image.length);
            System.arraycopy(tail, 0, body, head.length + image.length, tail.length);
            bodies.add(body);
        }
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        AtomicInteger next = new AtomicInteger();
        AtomicInteger errors = new AtomicInteger();
        long[] latencies = new long[requests];
        AtomicInteger done = new AtomicInteger();
        AtomicLong start = new AtomicLong();

        Runnable warm = () -> {
            for (int i = 0; i < warmup; i++) {
                send(client, uri, boundary, bodies.get(i % bodies.size()));
            }
        };
        Thread warmer = new Thread(warm);
        warmer.start();
        warmer.join();

        start.set(System.nanoTime());
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < concurrency; c++) {
            Thread t = new Thread(() -> {
                while (true) {
                    int n = next.getAndIncrement();
                    if (n >= requests || System.nanoTime() - start.get() > deadlineNanos) {
                        return;
                    }
                    long t0 = System.nanoTime();
                    int status = send(client, uri, boundary, bodies.get(n % bodies.size()));
                    long took = System.nanoTime() - t0;
                    if (status != 200) {
                        errors.incrementAndGet();
                    }
                    latencies[done.getAndIncrement()] = took;
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

    private static double pct(long[] sorted, double p) {
        return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) (sorted.length * p))] / 1e6;
    }

    private static int send(HttpClient client, URI uri, String boundary, byte[] body) {
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(120))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        try {
            return client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }
}
