import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The time of a /v1/ask with an LLM that answers at once, so that what is timed is the service's own work (embed,
 * search, prompt images, request, answer) and loopback. Two modes:
 *
 *   java bench/ask/AskBenchmark.java stub PORT_FILE
 *       an OpenAI-compatible chat-completions endpoint on 127.0.0.1 (port written to PORT_FILE) that reads each
 *       request whole and answers one fixed completion at once, until killed; logs each request's size
 *   java bench/ask/AskBenchmark.java ask URL K WARMUP N IMAGE...
 *       WARMUP uncounted then N counted sequential asks, each photo the next of the IMAGEs in turn, k = K; only
 *       127.0.0.1 is accepted. Prints "RESULT tookMs-p50 tookMs-p90 latency-p50 latency-p90" (tookMs: the service's own
 *       measure of the ask; latency: the client's, in ms, upload and JSON included)
 */
public final class AskBenchmark {

    private static final byte[] COMPLETION = ("{\"id\":\"b\",\"object\":\"chat.completion\",\"model\":\"stub\","
            + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"An answer.\"},"
            + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1}}")
            .getBytes(StandardCharsets.UTF_8);
    private static final Pattern TOOK = Pattern.compile("\"tookMs\"\\s*:\\s*(\\d+)");

    public static void main(String[] args) throws Exception {
        if (args[0].equals("stub")) {
            stub(Path.of(args[1]));
        } else {
            ask(URI.create(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]), Integer.parseInt(args[4]),
                    Arrays.copyOfRange(args, 5, args.length));
        }
    }

    /**
     * HTTP/1.1 on a plain socket, keep-alive, each answer written in one piece with TCP_NODELAY: the JDK's HttpServer
     * writes headers and body apart, and Nagle's algorithm with delayed ACKs then holds each answer about 40 ms.
     */
    private static void stub(Path portFile) throws IOException {
        ServerSocket server = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        Files.writeString(portFile, String.valueOf(server.getLocalPort()));
        byte[] head = ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + COMPLETION.length
                + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] response = new byte[head.length + COMPLETION.length];
        System.arraycopy(head, 0, response, 0, head.length);
        System.arraycopy(COMPLETION, 0, response, head.length, COMPLETION.length);
        long[] received = {0};
        while (true) {
            Socket socket = server.accept();
            socket.setTcpNoDelay(true);
            Thread connection = new Thread(() -> {
                try (socket; InputStream in = new BufferedInputStream(socket.getInputStream());
                        OutputStream out = socket.getOutputStream()) {
                    while (true) {
                        long length = -1;
                        for (String line = line(in); line != null && !line.isEmpty(); line = line(in)) {
                            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                                length = Long.parseLong(line.substring(15).strip());
                            }
                        }
                        if (length < 0) {
                            return; // the connection closed, or a request this stub does not read
                        }
                        in.skipNBytes(length);
                        synchronized (received) {
                            System.out.println("request " + ++received[0] + " " + length);
                        }
                        out.write(response);
                        out.flush();
                    }
                } catch (IOException e) {
                    // the service closed the connection
                }
            });
            connection.setDaemon(true);
            connection.start();
        }
    }

    /** One header line without its CRLF, or null at the end of the stream. */
    private static String line(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                return null;
            }
            if (c != '\r') {
                line.append((char) c);
            }
        }
        return line.toString();
    }

    private static void ask(URI url, int k, int warmup, int n, String[] images) throws Exception {
        if (!"127.0.0.1".equals(url.getHost())) {
            throw new IllegalArgumentException("only 127.0.0.1 is asked");
        }
        List<byte[]> bodies = new ArrayList<>();
        String boundary = "bench-boundary-7d1e";
        for (String image : images) {
            bodies.add(multipart(boundary, Path.of(image), k));
        }
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        long[] took = new long[n];
        double[] latency = new double[n];
        for (int i = 0; i < warmup + n; i++) {
            HttpRequest request = HttpRequest.newBuilder(url)
                    .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(bodies.get(i % bodies.size()))).build();
            long start = System.nanoTime();
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
            double ms = (System.nanoTime() - start) / 1e6;
            if (response.statusCode() != 200) {
                throw new IllegalStateException("ask " + i + " (" + images[i % images.length] + "): "
                        + response.statusCode() + " " + response.body());
            }
            if (i >= warmup) {
                Matcher m = TOOK.matcher(response.body());
                if (!m.find()) {
                    throw new IllegalStateException("no tookMs in " + response.body());
                }
                took[i - warmup] = Long.parseLong(m.group(1));
                latency[i - warmup] = ms;
            }
        }
        Arrays.sort(took);
        Arrays.sort(latency);
        System.out.printf(Locale.ROOT, "RESULT %d %d %.1f %.1f%n", took[n / 2], took[(int) (n * 0.9)], latency[n / 2],
                latency[(int) (n * 0.9)]);
    }

    private static byte[] multipart(String boundary, Path image, int k) throws IOException {
        String head = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\""
                + image.getFileName() + "\"\r\nContent-Type: application/octet-stream\r\n\r\n";
        String tail = "\r\n--" + boundary + "\r\nContent-Disposition: form-data; name=\"question\"\r\n\r\n"
                + "What is this?\r\n--" + boundary + "\r\nContent-Disposition: form-data; name=\"k\"\r\n\r\n" + k
                + "\r\n--" + boundary + "--\r\n";
        byte[] file = Files.readAllBytes(image);
        byte[] body = new byte[head.length() + file.length + tail.length()];
        System.arraycopy(head.getBytes(StandardCharsets.US_ASCII), 0, body, 0, head.length());
        System.arraycopy(file, 0, body, head.length(), file.length);
        System.arraycopy(tail.getBytes(StandardCharsets.US_ASCII), 0, body, head.length() + file.length, tail.length());
        return body;
    }
}
