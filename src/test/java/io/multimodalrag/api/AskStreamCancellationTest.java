package io.multimodalrag.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A client that hangs up on a streamed answer stops the call to the LLM. */
@QuarkusTest
@TestProfile(SlowLlmProfile.class)
class AskStreamCancellationTest {

    @BeforeEach
    void ready() {
        ServiceReadiness.awaitStartupFinished();
        SlowStreamingLlm.closedByClient = new CountDownLatch(1);
        SlowStreamingLlm.streamedToTheEnd = new CountDownLatch(1);
    }

    @Test
    void closingTheClientConnectionClosesTheUpstreamConnection() throws Exception {
        int requestsBefore = SlowStreamingLlm.REQUESTS.get();
        try (CapturedLogs logs = CapturedLogs.start()) {
            try (Socket socket = new Socket("localhost", RestAssured.port)) {
                socket.setSoTimeout(10_000);
                sendStreamedAsk(socket.getOutputStream());
                String received = readUntil(socket.getInputStream(), "event:delta");
                assertTrue(received.startsWith("HTTP/1.1 200"), received);
            }
            // The whole stream takes CHUNKS × INTERVAL_MS = 10 s; the service must hang up long before.
            assertTrue(SlowStreamingLlm.closedByClient.await(5, TimeUnit.SECONDS),
                    "the upstream connection stayed open after the client left; chunks sent: "
                            + SlowStreamingLlm.CHUNKS_SENT.get());
            assertFalse(SlowStreamingLlm.streamedToTheEnd.getCount() == 0, "the upstream streamed to the end");
            assertEquals(requestsBefore + 1, SlowStreamingLlm.REQUESTS.get(), "one call, not retried");
            // A client leaving is not a server error (an event written as it left used to log one, with a trace).
            assertFalse(logs.text().contains(" SEVERE ") || logs.text().contains(" ERROR "), logs.text());
        }
    }

    @Test
    void aStreamStillRunningAtTheTotalTimeoutEndsWithAnErrorEventAndClosesTheUpstream() throws Exception {
        String body = AskResourceTest.askRequest(TestImages.gradientPng(64, 48), "photo.png", "question", "What is shown?")
                .accept("text/event-stream").when().post("/v1/ask").then().statusCode(200).extract().asString();
        List<SseEvents.Event> events = SseEvents.parse(body);
        assertEquals(List.of("sources", "delta"), events.subList(0, 2).stream().map(SseEvents.Event::name).toList(), body);
        SseEvents.Event last = events.get(events.size() - 1);
        assertEquals("error", last.name(), body);
        assertTrue(last.data().contains("\"status\":504") && last.data().contains("rag.llm.total-timeout"), last.data());
        assertTrue(SlowStreamingLlm.closedByClient.await(5, TimeUnit.SECONDS), "the upstream call was not cancelled");
        assertFalse(SlowStreamingLlm.streamedToTheEnd.getCount() == 0, "the upstream streamed to the end");
    }

    @Test
    void anAnswerStillComingAtTheTotalTimeoutIsA504() throws Exception {
        // The same slow server answers the whole-answer call too: it would take 10 s.
        AskResourceTest.ask(TestImages.gradientPng(64, 48), "photo.png", "question", "What is shown?")
                .statusCode(504).contentType(Problem.MEDIA_TYPE)
                .body("type", org.hamcrest.Matchers.equalTo("urn:multimodal-rag:problem:llm-timeout"))
                .body("detail", org.hamcrest.Matchers.containsString("rag.llm.total-timeout"));
        assertTrue(SlowStreamingLlm.closedByClient.await(5, TimeUnit.SECONDS), "the upstream call was not cancelled");
    }

    /** A multipart POST /v1/ask with Accept: text/event-stream, written by hand to own the socket. */
    private static void sendStreamedAsk(OutputStream out) throws IOException {
        String boundary = "cancellation-test-boundary";
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"photo.png\"\r\n"
                + "Content-Type: image/png\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        body.writeBytes(TestImages.gradientPng(64, 48));
        body.writeBytes(("\r\n--" + boundary + "\r\nContent-Disposition: form-data; name=\"question\"\r\n\r\n"
                + "What is shown?\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
        String head = "POST /v1/ask HTTP/1.1\r\nHost: localhost:" + RestAssured.port + "\r\n"
                + "Accept: text/event-stream\r\n"
                + "Content-Type: multipart/form-data; boundary=" + boundary + "\r\n"
                + "Content-Length: " + body.size() + "\r\n\r\n";
        out.write(head.getBytes(StandardCharsets.US_ASCII));
        out.write(body.toByteArray());
        out.flush();
    }

    private static String readUntil(InputStream in, String marker) throws IOException {
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        byte[] buffer = new byte[4096];
        while (!received.toString(StandardCharsets.UTF_8).contains(marker)) {
            int read;
            try {
                read = in.read(buffer);
            } catch (java.net.SocketTimeoutException e) {
                throw new AssertionError("no " + marker + " within the socket timeout: "
                        + received.toString(StandardCharsets.UTF_8), e);
            }
            if (read < 0) {
                throw new AssertionError("the stream ended before " + marker + ": " + received.toString(StandardCharsets.UTF_8));
            }
            received.write(buffer, 0, read);
        }
        return received.toString(StandardCharsets.UTF_8);
    }
}
