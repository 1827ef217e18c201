package io.multimodalrag.api;

import static org.junit.jupiter.api.Assertions.assertFalse;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An upstream that answers completely and then resets the kept-alive connection (as load balancers and LLM servers do
 * to idle connections): the client has its answer, so the reset is no error in the log.
 */
@QuarkusTest
@TestProfile(UpstreamResetTest.ResettingUpstream.class)
class UpstreamResetTest {

    /** The vision LLM is {@link Resetter}. */
    public static class ResettingUpstream implements QuarkusTestProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(Resetter.class));
        }

        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("rag.llm.model", VisionLlmProfile.MODEL);
        }
    }

    /** Answers every request with one chat completion, then resets the connection 200 ms later. */
    public static class Resetter implements QuarkusTestResourceLifecycleManager {
        private ServerSocket server;

        @Override
        public Map<String, String> start() {
            try {
                server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Thread acceptor = new Thread(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket socket = server.accept();
                        Thread answering = new Thread(() -> answerThenReset(socket), "resetting-upstream-answer");
                        answering.setDaemon(true);
                        answering.start();
                    } catch (IOException closed) {
                        return;
                    }
                }
            }, "resetting-upstream");
            acceptor.setDaemon(true);
            acceptor.start();
            return Map.of("quarkus.rest-client.vision-llm.url", "http://127.0.0.1:" + server.getLocalPort() + "/v1",
                    "rag.llm.api-key", "sk-reset-test");
        }

        private static void answerThenReset(Socket socket) {
            try (socket) {
                InputStream in = socket.getInputStream();
                readRequest(in);
                byte[] body = ("{\"id\":\"c\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"" + VisionLlmProfile.MODEL
                        + "\",\"choices\":[{\"index\":0,\"finish_reason\":\"stop\",\"message\":{\"role\":\"assistant\","
                        + "\"content\":\"A tabby cat.\"}}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":3}}")
                        .getBytes(StandardCharsets.UTF_8);
                OutputStream out = socket.getOutputStream();
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + body.length
                        + "\r\nConnection: keep-alive\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(body);
                out.flush();
                Thread.sleep(200);
                socket.setSoLinger(true, 0); // close with RST, not FIN
            } catch (IOException | InterruptedException e) {
                // the client went first
            }
        }

        /** Reads one request: headers, then Content-Length bytes of body. */
        private static void readRequest(InputStream in) throws IOException {
            StringBuilder headers = new StringBuilder();
            while (!headers.toString().endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    throw new IOException("closed");
                }
                headers.append((char) b);
            }
            int length = 0;
            for (String line : headers.toString().split("\r\n")) {
                if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                    length = Integer.parseInt(line.substring("content-length:".length()).trim());
                }
            }
            in.readNBytes(length);
        }

        @Override
        public void stop() {
            try {
                server.close();
            } catch (IOException e) {
                // closing
            }
        }
    }

    @BeforeEach
    void ready() {
        ServiceReadiness.awaitStartupFinished();
    }

    @Test
    void aResetAfterTheAnswerIsNoErrorInTheLog() throws InterruptedException {
        try (CapturedLogs logs = CapturedLogs.start()) {
            for (int i = 0; i < 2; i++) {
                AskResourceTest.askRequest(TestImages.knowledgeBaseImage("chelsea-cat.jpg"), "cat.jpg", "question", "What?")
                        .post("/v1/ask").then().statusCode(200);
                Thread.sleep(600); // the reset arrives after the answer
            }
            assertFalse(logs.text().lines().anyMatch(line -> line.contains(" ERROR ") || line.contains(" SEVERE ")),
                    logs.text());
        }
    }
}
