import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;

/**
 * Cross-replica visibility of a write: COUNT adds through replica A, one at a time, each followed by polling
 * replica B for the new entry every millisecond; prints p50, p99 and the maximum of the time from A's 201 to B's
 * 200, in milliseconds. Only the JDK: java bench/replicas/Visibility.java A_URL B_URL TOKEN COUNT
 */
public final class Visibility {

    public static void main(String[] args) throws Exception {
        String a = args[0];
        String b = args[1];
        String token = args[2];
        int count = Integer.parseInt(args[3]);
        HttpClient http = HttpClient.newHttpClient();
        Pattern idField = Pattern.compile("\"id\"\\s*:\\s*\"([^\"]+)\"");
        Random random = new Random(16);
        List<Double> millis = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String boundary = UUID.randomUUID().toString();
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"p.png\"\r\n"
                    + "Content-Type: image/png\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            body.write(png(random));
            body.write(("\r\n--" + boundary + "\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\n"
                    + "visibility probe " + i + "\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
            HttpResponse<String> added = http.send(HttpRequest.newBuilder(URI.create(a + "/v1/images"))
                    .header("Authorization", "Bearer " + token)
                    .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build(),
                    HttpResponse.BodyHandlers.ofString());
            long acknowledged = System.nanoTime();
            if (added.statusCode() != 201) {
                throw new IllegalStateException("add through A answered " + added.statusCode() + ": " + added.body());
            }
            Matcher m = idField.matcher(added.body());
            m.find();
            HttpRequest probe = HttpRequest.newBuilder(URI.create(b + "/v1/images/" + m.group(1))).GET().build();
            while (http.send(probe, HttpResponse.BodyHandlers.discarding()).statusCode() != 200) {
                if (System.nanoTime() - acknowledged > 30_000_000_000L) {
                    throw new IllegalStateException(m.group(1) + " not on B after 30 s");
                }
                Thread.sleep(1);
            }
            millis.add((System.nanoTime() - acknowledged) / 1e6);
        }
        Collections.sort(millis);
        System.out.printf("visibility on B of %d adds through A: p50 %.1f ms, p99 %.1f ms, max %.1f ms (goal p99 <= 1000:"
                + " %s)%n", count, percentile(millis, 50), percentile(millis, 99), millis.get(millis.size() - 1),
                percentile(millis, 99) <= 1000 ? "met" : "missed");
    }

    private static double percentile(List<Double> sorted, int p) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }

    private static byte[] png(Random random) throws Exception {
        BufferedImage image = new BufferedImage(48, 48, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 48; y++) {
            for (int x = 0; x < 48; x++) {
                image.setRGB(x, y, random.nextInt(1 << 24));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }
}
