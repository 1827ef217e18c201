package io.multimodalrag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.multimodalrag.testing.PostgresServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The official OpenAI client for Node.js (npm {@code openai}, v7) against the packaged service: models, embeddings of
 * one string, a list, base64, and an empty list refused (src/test/node/openai-embeddings.mjs). The client is installed
 * with npm into target/openai-node when missing; without node or npm, or offline, the test is skipped, unless
 * {@code -Dopenai.client.required=true} (as .ci/run sets it) makes that a failure.
 */
class OpenAiClientIT {

    private static final Path DIR = Path.of("target", "openai-client");
    private static final Path NODE_MODULES = Path.of("target", "openai-node", "node_modules");
    private static final Path JAR = Path.of("target", "quarkus-app", "quarkus-run.jar");
    private static final String CLIENT = "openai@7";

    private static Process service;
    private static int port;

    @BeforeAll
    static void start() throws IOException, InterruptedException {
        requireClient();
        Files.createDirectories(DIR);
        port = PostgresServer.freePort();
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules=jdk.incubator.vector"));
        if (Runtime.version().feature() >= 22) {
            command.add("--enable-native-access=ALL-UNNAMED");
        }
        command.addAll(List.of("-Dquarkus.http.port=" + port, "-Dquarkus.http.host=127.0.0.1",
                "-Drag.model.dir=src/test/resources/clip-tiny", "-Drag.model.download.enabled=false",
                "-Drag.knowledge-base.cache-dir=" + DIR.resolve("cache"), "-jar", JAR.toString()));
        service = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(DIR.resolve("service.log").toFile())).start();
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (true) {
            assertTrue(service.isAlive(), "the service exited; see " + DIR.resolve("service.log"));
            try {
                HttpResponse<Void> ready = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                        + "/q/health/ready")).build(), HttpResponse.BodyHandlers.discarding());
                if (ready.statusCode() == 200) {
                    return;
                }
            } catch (IOException notListeningYet) {
                // starting
            }
            assertTrue(System.nanoTime() < deadline, "not ready within 120 s; see " + DIR.resolve("service.log"));
            Thread.sleep(200);
        }
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (service != null) {
            service.destroy();
            service.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void theOfficialClientGetsEmbeddingsAndAProperError() throws IOException, InterruptedException {
        ProcessBuilder node = new ProcessBuilder("node", "src/test/node/openai-embeddings.mjs",
                "http://127.0.0.1:" + port + "/v1").redirectErrorStream(true).redirectOutput(DIR.resolve("client.log").toFile());
        node.environment().put("OPENAI_NODE_DIR", NODE_MODULES.toAbsolutePath().toString());
        Process client = node.start();
        boolean ended = client.waitFor(120, TimeUnit.SECONDS);
        String output = Files.readString(DIR.resolve("client.log"), StandardCharsets.UTF_8);
        assertTrue(ended, "the client did not finish: " + output);
        assertEquals(0, client.exitValue(), output);
        assertTrue(output.strip().endsWith("OK"), output);
    }

    /** The client in target/openai-node, installed with npm when missing. */
    private static void requireClient() throws IOException, InterruptedException {
        if (Files.isDirectory(NODE_MODULES.resolve("openai"))) {
            return;
        }
        String why;
        try {
            Files.createDirectories(NODE_MODULES.getParent());
            Process npm = new ProcessBuilder("npm", "install", "--no-audit", "--no-fund", "--prefix",
                    NODE_MODULES.getParent().toString(), CLIENT).redirectErrorStream(true)
                    .redirectOutput(Path.of("target", "openai-node.log").toFile()).start();
            if (npm.waitFor(300, TimeUnit.SECONDS) && npm.exitValue() == 0 && Files.isDirectory(NODE_MODULES.resolve("openai"))) {
                return;
            }
            npm.destroyForcibly();
            why = "npm could not install " + CLIENT + " (offline?); see target/openai-node.log";
        } catch (IOException e) {
            why = "npm is not installed (" + e.getMessage() + ")";
        }
        if (Boolean.getBoolean("openai.client.required")) {
            fail(why);
        }
        Assumptions.abort(why + "; install it with `npm install --prefix target/openai-node " + CLIENT + "`");
    }
}
