package io.multimodalrag.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Request bodies received in memory ({@link MultipartBodies}, {@link JsonBodyLimit}, {@link RequestBodyWatch}): the
 * ways clients send them, the bound on how many bytes of them the service holds at once
 * ({@code rag.upload.max-buffered} and {@code rag.text.max-buffered}, 1 MiB each here), and the rate a body must keep
 * (1 s plus one for every 100 KB here).
 */
@QuarkusTest
@TestProfile(MultipartBodiesTest.SmallBudget.class)
class MultipartBodiesTest {

    public static class SmallBudget implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("rag.upload.max-buffered", "1M", "rag.text.max-buffered", "1M",
                    "rag.upload.body-timeout", "1s", "rag.upload.min-rate", "100K");
        }
    }

    private static final String BOUNDARY = "test-boundary-7f3a";

    @Inject
    MultipartBodies bodies;

    @Inject
    RequestBodyWatch watch;

    @BeforeEach
    void ready() {
        ServiceReadiness.awaitStartupFinished();
    }

    private static byte[] form(byte[] image, String imageDisposition, String... fields) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(("--" + BOUNDARY + "\r\nContent-Disposition: form-data; " + imageDisposition
                + "\r\nContent-Type: image/jpeg\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        body.writeBytes(image);
        for (int i = 0; i < fields.length; i += 2) {
            body.writeBytes(("\r\n--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"" + fields[i] + "\"\r\n\r\n"
                    + fields[i + 1]).getBytes(StandardCharsets.UTF_8));
        }
        body.writeBytes(("\r\n--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return body.toByteArray();
    }

    private static HttpRequest.Builder post(String path) {
        return HttpRequest.newBuilder(URI.create("http://localhost:" + RestAssured.port + path))
                .header("Content-Type", "multipart/form-data; boundary=" + BOUNDARY).timeout(Duration.ofSeconds(30));
    }

    private static HttpResponse<String> send(HttpRequest request) throws Exception {
        return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
    }

    /** A POST to /v1/search without a Content-Length: the JDK client sends a body of unknown length in chunks. */
    private static HttpResponse<String> sendChunked(byte[] body) throws Exception {
        return send(post("/v1/search").POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body)))
                .build());
    }

    /** Waits for the held bytes to return to zero: a body is released when its exchange ends, just after the answer. */
    private void assertNothingHeld() throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (bodies.buffered() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(0, bodies.buffered());
    }

    @Test
    void aChunkedUploadIsAnsweredLikeOneWithALength() throws Exception {
        byte[] body = form(TestImages.knowledgeBaseImage("chelsea-cat.jpg"), "name=\"image\"; filename=\"cat.jpg\"", "k", "1");
        HttpResponse<String> response = sendChunked(body);
        assertEquals(200, response.statusCode(), response.body());
        assertTrue(response.body().contains("\"id\":\"chelsea-cat\""), response.body());
        assertNothingHeld();
    }

    @Test
    void aClientThatWaitsFor100ContinueGetsIt() throws Exception {
        byte[] body = form(TestImages.knowledgeBaseImage("motorcycle.jpg"), "name=\"image\"; filename=\"m.jpg\"");
        // HTTP/1.1: the JDK client cannot wait for 100 while it offers an upgrade to HTTP/2.
        HttpResponse<String> response = send(post("/v1/search").version(HttpClient.Version.HTTP_1_1).expectContinue(true)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
        assertEquals(200, response.statusCode(), response.body());
        assertTrue(response.body().contains("\"id\":\"motorcycle\""), response.body());
    }

    @Test
    void anImagePartSentWithoutAFileNameIsStillThePhoto() throws Exception {
        // curl -F 'image=<photo.jpg' sends the file's bytes as a plain field.
        byte[] body = form(TestImages.knowledgeBaseImage("motorcycle.jpg"), "name=\"image\"");
        HttpResponse<String> response = send(post("/v1/search").POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
        assertEquals(200, response.statusCode(), response.body());
        assertTrue(response.body().contains("\"id\":\"motorcycle\""), response.body());
    }

    @Test
    void aMalformedBodyIsA400ThatSaysSo() {
        given().contentType("multipart/form-data; boundary=" + BOUNDARY)
                .body(("--" + BOUNDARY + "\r\nContent-Dispo").getBytes(StandardCharsets.US_ASCII))
                .when().post("/v1/search").then().statusCode(400).contentType(Problem.MEDIA_TYPE)
                .body("detail", equalTo("malformed multipart/form-data body: "
                        + "the body ends inside the headers of a part (was the upload cut short?)"));
    }

    @Test
    void anEmptyBodyIsA400() {
        given().contentType("multipart/form-data; boundary=" + BOUNDARY).body(new byte[0]).when().post("/v1/search")
                .then().statusCode(400).contentType(Problem.MEDIA_TYPE)
                .body("detail", equalTo("the body is empty; send the photo as -F image=@photo.jpg"));
    }

    @Test
    void anUploadOverTheBudgetIsA503WithRetryAfterAndTheNextOneWorks() throws Exception {
        byte[] big = form(new byte[1536 * 1024], "name=\"image\"; filename=\"big.jpg\"");
        given().contentType("multipart/form-data; boundary=" + BOUNDARY).body(big).when().post("/v1/search").then()
                .statusCode(503).contentType(Problem.MEDIA_TYPE).header("Retry-After", "1")
                .body("type", equalTo("urn:multimodal-rag:problem:busy"))
                .body("detail", equalTo("too many uploads are being received at once (rag.upload.max-buffered); retry shortly"));
        assertNothingHeld();
        given().multiPart("image", "cat.jpg", TestImages.knowledgeBaseImage("chelsea-cat.jpg")).multiPart("k", "1")
                .when().post("/v1/search").then().statusCode(200).body("results", hasSize(1));
        assertNothingHeld();
    }

    @Test
    void aChunkedUploadGrowingOverTheBudgetIsA503() throws Exception {
        HttpResponse<String> response = sendChunked(form(new byte[1536 * 1024], "name=\"image\"; filename=\"big.jpg\""));
        assertEquals(503, response.statusCode(), response.body());
        assertTrue(response.body().contains("rag.upload.max-buffered"), response.body());
        assertNothingHeld();
    }

    @Test
    void aClientThatHangsUpHalfwayReleasesWhatItSent() throws Exception {
        try (Socket socket = new Socket("localhost", RestAssured.port)) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/search HTTP/1.1\r\nHost: localhost\r\nContent-Length: 500000\r\n"
                    + "Content-Type: multipart/form-data; boundary=" + BOUNDARY + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(new byte[100_000]);
            out.flush();
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (bodies.buffered() < 100_000 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(100_000, bodies.buffered(), "what has arrived is held, not what was declared");
        }
        assertNothingHeld();
    }

    /** Opens a connection that sends the headers of a POST and the first {@code sent} bytes of its body. */
    private static Socket declare(String path, String contentType, long length, int sent) throws Exception {
        Socket socket = new Socket("localhost", RestAssured.port);
        socket.setSoTimeout(10_000);
        OutputStream out = socket.getOutputStream();
        out.write(("POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Length: " + length + "\r\nContent-Type: "
                + contentType + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(new byte[sent]);
        out.flush();
        return socket;
    }

    /** What the service answered on {@code socket} before closing it. */
    private static String answer(Socket socket) throws Exception {
        return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    @Test
    void bodiesDeclaredButNotSentLockNoHonestUploadOut() throws Exception {
        List<Socket> idle = new ArrayList<>();
        try {
            for (int i = 0; i < 6; i++) { // 6 x 900 KB declared against a 1 MiB budget
                idle.add(declare("/v1/search", "multipart/form-data; boundary=" + BOUNDARY, 900_000, 0));
            }
            Thread.sleep(3 * RequestBodyWatch.TICK_MS);
            given().multiPart("image", "cat.jpg", TestImages.knowledgeBaseImage("chelsea-cat.jpg")).multiPart("k", "1")
                    .when().post("/v1/search").then().statusCode(200).body("results", hasSize(1));
        } finally {
            for (Socket socket : idle) {
                socket.close();
            }
        }
        assertNothingHeld();
    }

    @Test
    void aBodyThatStopsArrivingIsA408AndItsConnectionIsClosed() throws Exception {
        long started = System.nanoTime();
        try (Socket socket = declare("/v1/search", "multipart/form-data; boundary=" + BOUNDARY, 500_000, 1_000)) {
            String answer = answer(socket); // until the service closes it
            assertTrue(answer.startsWith("HTTP/1.1 408"), answer);
            assertTrue(answer.contains("rag.upload.min-rate"), answer);
            assertTrue(answer.contains("application/problem+json"), answer);
        }
        assertTrue(System.nanoTime() - started < 8_000_000_000L, "closed after about a second");
        assertNothingHeld();
    }

    @Test
    void aBodyTrickledBelowTheMinimumRateIsClosedToo() throws Exception {
        try (Socket socket = declare("/v1/search", "multipart/form-data; boundary=" + BOUNDARY, 5_000_000, 0)) {
            OutputStream out = socket.getOutputStream();
            long deadline = System.nanoTime() + 10_000_000_000L;
            long sent = 0;
            try {
                // 20 KB/s, a fifth of the minimum rate: allowed 1 s plus 0.2 s per second, so about 1.25 s in all.
                while (System.nanoTime() < deadline) {
                    out.write(new byte[2_000]);
                    out.flush();
                    sent += 2_000;
                    Thread.sleep(100);
                }
            } catch (java.io.IOException closed) {
                // the service closed the connection
            }
            assertTrue(sent < 100_000, "closed after " + sent + " bytes");
            assertTrue(answer(socket).startsWith("HTTP/1.1 408"));
        }
        assertNothingHeld();
    }

    @Test
    void aJsonBodyOverItsOwnLimitIsA413BeforeItIsSent() throws Exception {
        try (Socket socket = declare("/v1/search/text", "application/json", 19_000_000, 0)) {
            String answer = answer(socket);
            assertTrue(answer.startsWith("HTTP/1.1 413"), answer);
            assertTrue(answer.contains("rag.text.max-body-size"), answer);
        }
        String big = "{\"query\": \"" + "a".repeat(600_000) + "\"}";
        HttpResponse<String> chunked = send(HttpRequest.newBuilder(URI.create("http://localhost:" + RestAssured.port
                + "/v1/search/text")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(
                        big.getBytes(StandardCharsets.UTF_8)))).build());
        assertEquals(413, chunked.statusCode(), chunked.body());
        assertTrue(chunked.body().contains("rag.text.max-body-size"), chunked.body());
    }

    @Test
    void aChunkedJsonBodyIsCutOffAtItsLimitWhileItArrives() throws Exception {
        try (Socket socket = new Socket("localhost", RestAssured.port)) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/search/text HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n"
                    + "Content-Type: application/json\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            long sent = 0;
            try {
                for (int i = 0; i < 40; i++) { // up to 4 MB, 100 KB every 50 ms: never sent whole
                    out.write((Integer.toHexString(100_000) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.write(new byte[100_000]);
                    out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    sent += 100_000;
                    Thread.sleep(50);
                }
            } catch (java.io.IOException closed) {
                // the service closed the connection
            }
            String answer = answer(socket);
            assertTrue(answer.startsWith("HTTP/1.1 413"), answer);
            assertTrue(answer.contains("rag.text.max-body-size"), answer);
            assertTrue(sent < 4_000_000, "cut off after " + sent + " bytes");
        }
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (watch.texts().held() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(0, watch.texts().held());
    }

    @Test
    void jsonBodiesHaveABudgetOfTheirOwn() throws Exception {
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) { // 2 x 400 KB arrived of 500 KB: 800 KB of the 1 MiB
                held.add(declare("/v1/search/text", "application/json", 500_000, 400_000));
            }
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (watch.texts().held() < 800_000 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(800_000, watch.texts().held());
            try (Socket third = declare("/v1/search/text", "application/json", 500_000, 400_000)) {
                String answer = answer(third);
                assertTrue(answer.startsWith("HTTP/1.1 503"), answer);
                assertTrue(answer.contains("rag.text.max-buffered"), answer);
            }
            // Uploads have their own budget.
            given().multiPart("image", "cat.jpg", TestImages.knowledgeBaseImage("chelsea-cat.jpg")).multiPart("k", "1")
                    .when().post("/v1/search").then().statusCode(200);
        } finally {
            for (Socket socket : held) {
                socket.close();
            }
        }
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (watch.texts().held() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(0, watch.texts().held());
        given().contentType("application/json").body("{\"query\": \"a cup of coffee\", \"k\": 1}")
                .when().post("/v1/search/text").then().statusCode(200);
    }

    @Test
    void theHeldBytesAreAMetric() throws Exception {
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertTrue(metrics.contains("rag_upload_buffered_bytes"), metrics);
    }
}
