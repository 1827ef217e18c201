package io.multimodalrag.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.ValidatableResponse;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@QuarkusTest
class SearchResourceTest {

    @BeforeEach
    void ready() {
        ServiceReadiness.awaitStartupFinished();
    }

    private static ValidatableResponse search(byte[] image, String fileName, String... fields) {
        var request = given().multiPart("image", fileName, image);
        for (int i = 0; i < fields.length; i += 2) {
            request.multiPart(fields[i], fields[i + 1]);
        }
        return request.when().post("/v1/search").then();
    }

    @ParameterizedTest
    @ValueSource(strings = {"chelsea-cat.jpg", "motorcycle.jpg", "raccoon-face.webp", "horse-silhouette.png",
            "gas-cylinder.jpg"})
    void anExactCopyOfAKnowledgeBaseImageComesBackFirst(String fileName) {
        String id = fileName.substring(0, fileName.lastIndexOf('.'));
        search(TestImages.knowledgeBaseImage(fileName), "upload.bin")
                .statusCode(200)
                .contentType("application/json")
                .body("results", hasSize(2))
                .body("results[0].id", equalTo(id))
                .body("results[0].imagePath", equalTo("image_database/" + fileName))
                .body("results[0].description", startsWith(""))
                .body("results[0].score", greaterThanOrEqualTo(0.999f))
                .body("results[1].score", lessThanOrEqualTo(0.999f))
                .body("model", equalTo("clip-tiny"))
                .body("tookMs", greaterThanOrEqualTo(0));
    }

    @Test
    void metadataNeverCostsMoreThanThePixelsNorAnswers5xx() {
        // A photo with a deeply nested XMP packet ahead of its pixels: a general XMP parser overflows its stack.
        byte[] photo = TestImages.knowledgeBaseImage("coffee-cup.jpg");
        byte[] payload = io.multimodalrag.testing.TestResources.nestedXmpPacket();
        java.io.ByteArrayOutputStream nested = new java.io.ByteArrayOutputStream();
        nested.write(photo, 0, 2);
        nested.writeBytes(new byte[] {(byte) 0xFF, (byte) 0xE1, (byte) ((payload.length + 2) >> 8),
                (byte) (payload.length + 2)});
        nested.writeBytes(payload);
        nested.write(photo, 2, photo.length - 2);
        search(nested.toByteArray(), "nested-xmp.jpg", "k", "1").statusCode(200).body("results[0].id", equalTo("coffee-cup"));

        // A PNG with compressed text chunks that would inflate to 1 GB: never inflated.
        byte[] png = TestImages.knowledgeBaseImage("horse-silhouette.png");
        byte[] bomb = io.multimodalrag.testing.TestResources.deflate(new byte[5 << 20]);
        java.io.ByteArrayOutputStream inflated = new java.io.ByteArrayOutputStream();
        int afterHeader = 8 + 8 + 13 + 4; // signature and IHDR
        inflated.write(png, 0, afterHeader);
        for (int i = 0; i < 200; i++) {
            byte[] text = new byte[9 + bomb.length];
            System.arraycopy("Comment\0\0".getBytes(StandardCharsets.US_ASCII), 0, text, 0, 9);
            System.arraycopy(bomb, 0, text, 9, bomb.length);
            java.nio.ByteBuffer chunk = java.nio.ByteBuffer.allocate(12 + text.length);
            java.util.zip.CRC32 crc = new java.util.zip.CRC32();
            crc.update("zTXt".getBytes(StandardCharsets.US_ASCII));
            crc.update(text);
            chunk.putInt(text.length).put("zTXt".getBytes(StandardCharsets.US_ASCII)).put(text).putInt((int) crc.getValue());
            inflated.writeBytes(chunk.array());
        }
        inflated.write(png, afterHeader, png.length - afterHeader);
        search(inflated.toByteArray(), "text-bomb.png", "k", "1").statusCode(200)
                .body("results[0].id", equalTo("horse-silhouette"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"\u0663", "\u06f5", "\uff15", "1\u0660"})
    void kWrittenWithOtherScriptsDigitsIsA400(String k) {
        search(TestImages.knowledgeBaseImage("coffee-cup.jpg"), "c.jpg", "k", k).statusCode(400)
                .contentType(Problem.MEDIA_TYPE).body("detail", containsString("digits 0-9"));
        given().queryParam("size", k).get("/v1/images").then().statusCode(400).contentType(Problem.MEDIA_TYPE);
    }

    @Test
    void resultsAreBestFirstAndKIsHonoured() {
        List<Float> scores = search(TestImages.knowledgeBaseImage("coffee-cup.jpg"), "c.jpg", "k", "10")
                .statusCode(200).body("results", hasSize(10)).extract().path("results.score");
        for (int i = 1; i < scores.size(); i++) {
            assertTrue(scores.get(i - 1) >= scores.get(i), "scores not descending: " + scores);
        }
        search(TestImages.knowledgeBaseImage("coffee-cup.jpg"), "c.jpg", "k", "1").statusCode(200)
                .body("results", hasSize(1));
        search(TestImages.knowledgeBaseImage("coffee-cup.jpg"), "c.jpg", "k", "100").statusCode(200)
                .body("results", hasSize(29));
    }

    @Test
    void minScoreFiltersResults() {
        search(TestImages.knowledgeBaseImage("coffee-cup.jpg"), "c.jpg", "k", "5", "minScore", "0.999")
                .statusCode(200)
                .body("results", hasSize(1))
                .body("results.score", everyItem(greaterThanOrEqualTo(0.999f)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "101", "-1", "two", "1.5"})
    void kOutOfRangeIsA400(String k) {
        search(TestImages.knowledgeBaseImage("coffee-cup.jpg"), "c.jpg", "k", k)
                .statusCode(400)
                .contentType(Problem.MEDIA_TYPE)
                .body("status", equalTo(400))
                .body("title", equalTo("Bad request"))
                .body("detail", containsString("'k'"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"1.01", "-2", "NaN", "high"})
    void minScoreOutOfRangeIsA400(String minScore) {
        search(TestImages.knowledgeBaseImage("coffee-cup.jpg"), "c.jpg", "minScore", minScore)
                .statusCode(400).contentType(Problem.MEDIA_TYPE).body("detail", containsString("'minScore'"));
    }

    @Test
    void aMissingImagePartIsA400() {
        given().multiPart("k", "2").when().post("/v1/search").then()
                .statusCode(400).contentType(Problem.MEDIA_TYPE).body("detail", containsString("'image'"));
    }

    @Test
    void aRequestThatIsNotMultipartIsA415() {
        given().contentType("application/json").body("{}").when().post("/v1/search").then()
                .statusCode(415).contentType(Problem.MEDIA_TYPE).body("detail", containsString("multipart"));
    }

    @Test
    void anEmptyUploadIsA415() {
        search(new byte[0], "empty.jpg").statusCode(415).contentType(Problem.MEDIA_TYPE)
                .body("type", equalTo("urn:multimodal-rag:problem:unsupported-image"));
    }

    @Test
    void aTextFileIsA415() {
        search("name,capacity\ngenerator,5 kW\n".getBytes(), "photo.jpg").statusCode(415)
                .contentType(Problem.MEDIA_TYPE).body("status", equalTo(415));
    }

    @Test
    void aTruncatedJpegIsA422() {
        search(TestImages.truncatedJpeg(), "cut.jpg").statusCode(422).contentType(Problem.MEDIA_TYPE)
                .body("type", equalTo("urn:multimodal-rag:problem:undecodable-image"));
    }

    @Test
    void aDecompressionBombIsA422() {
        search(TestImages.decompressionBomb(), "bomb.png").statusCode(422).contentType(Problem.MEDIA_TYPE)
                .body("type", equalTo("urn:multimodal-rag:problem:image-too-large"))
                .body("detail", containsString("megapixels"));
    }

    @Test
    void anUploadOverTheLimitIsA413() {
        byte[] big = new byte[21 * 1024 * 1024];
        search(big, "big.jpg").statusCode(413).contentType(Problem.MEDIA_TYPE).body("status", equalTo(413));
    }

    @Test
    void aChunkedUploadOverTheLimitIsA413ProblemAndNotAServerError() throws Exception {
        // Without a Content-Length the multipart parser finds the limit while reading, and used to fail the
        // request again for every chunk still arriving, each logged as an ERROR with a stack trace.
        String boundary = "limit-test-boundary";
        byte[] head = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"big.jpg\"\r\n"
                + "Content-Type: image/jpeg\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] body = Arrays.copyOf(head, head.length + 21 * 1024 * 1024);
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://localhost:" + RestAssured.port + "/v1/search"))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))).build();
        try (CapturedLogs logs = CapturedLogs.start()) {
            HttpResponse<String> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
            assertEquals(413, response.statusCode());
            assertEquals(Problem.MEDIA_TYPE, response.headers().firstValue("Content-Type").orElse(""));
            assertTrue(response.body().contains("urn:multimodal-rag:problem:payload-too-large"), response.body());
            assertTrue(response.body().contains("rag.upload.max-size"), response.body());
            Thread.sleep(500); // the rest of the upload, which the server still reads and drops
            assertFalse(logs.text().contains(" ERROR "), logs.text());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"/v1/search", "/v1/search/text"})
    void aChunkedBodyPastTheInputBufferIsCutOffWithA413AndNoServerError(String path) throws Exception {
        // Past quarkus.rest.input-buffer-size a body is streamed, and Quarkus itself answers 413 (without a
        // problem body) and closes the connection at quarkus.http.limits.max-body-size; the failed read that
        // follows inside the service is the client's doing, not a server error.
        boolean upload = path.equals("/v1/search");
        byte[] head = (upload ? "--b\r\nContent-Disposition: form-data; name=\"image\"; filename=\"big.jpg\"\r\n\r\n"
                : "{\"query\": \"").getBytes(StandardCharsets.US_ASCII);
        byte[] body = Arrays.copyOf(head, head.length + 40 * 1024 * 1024);
        Arrays.fill(body, head.length, body.length, (byte) 'a');
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://localhost:" + RestAssured.port + path))
                .header("Content-Type", upload ? "multipart/form-data; boundary=b" : "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))).build();
        try (CapturedLogs logs = CapturedLogs.start()) {
            try {
                HttpResponse<String> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
                assertEquals(413, response.statusCode());
            } catch (IOException closedWhileSending) {
                // The connection closed before the client read the answer.
            }
            Thread.sleep(500);
            assertFalse(logs.text().contains(" ERROR "), logs.text());
        }
    }

    @Test
    void aTextFieldOverTheFormLimitIsA413Problem() {
        search(TestImages.knowledgeBaseImage("chelsea-cat.jpg"), "cat.jpg", "k", "1".repeat(70_000))
                .statusCode(413).contentType(Problem.MEDIA_TYPE)
                .body("type", equalTo("urn:multimodal-rag:problem:payload-too-large"))
                .body("detail", containsString("text field"));
    }

    @Test
    void errorsNeverCarryAStackTrace() {
        String body = search(TestImages.truncatedJpeg(), "cut.jpg").extract().asString();
        assertTrue(!body.contains("Exception") && !body.contains("\tat "), body);
    }
}
