package io.multimodalrag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.multimodalrag.testing.PackagedService;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
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
    private static final String CLIENT = "openai@7";

    private static PackagedService service;

    @BeforeAll
    static void start() throws IOException, InterruptedException {
        requireClient();
        service = PackagedService.of("the service", DIR.resolve("service.log"),
                Map.of("rag.knowledge-base.cache-dir", DIR.resolve("cache").toString()));
        service.start();
        service.awaitReady();
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (service != null) {
            service.stop();
        }
    }

    @Test
    void theOfficialClientGetsEmbeddingsAndAProperError() throws IOException, InterruptedException {
        ProcessBuilder node = new ProcessBuilder("node", "src/test/node/openai-embeddings.mjs",
                service.baseUrl() + "/v1").redirectErrorStream(true).redirectOutput(DIR.resolve("client.log").toFile());
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
