package io.multimodalrag.testing;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.restassured.specification.RequestSpecification;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The packaged service (target/quarkus-app) as its own process on a free port of 127.0.0.1, for the integration
 * tests: started with system properties, its output appended to a log file, stopped with SIGTERM or killed with
 * SIGKILL; started again, it appends to the same log. The tiny model without download is the default;
 * {@code properties} add to or override it.
 */
public final class PackagedService implements AutoCloseable {

    public static final Path JAR = Path.of("target", "quarkus-app", "quarkus-run.jar");
    private static final Duration READY_WITHIN = Duration.ofSeconds(120);

    private final String name;
    private final Path log;
    private final int port;
    private final Map<String, String> properties;
    private Process process;

    private PackagedService(String name, Path log, Map<String, String> properties) throws IOException {
        this.name = name;
        this.log = log;
        this.port = PostgresServer.freePort();
        this.properties = properties;
    }

    /** A service named {@code name} in the tests' messages, not started yet; {@code log} starts empty. */
    public static PackagedService of(String name, Path log, Map<String, String> properties) throws IOException {
        assertTrue(Files.isRegularFile(JAR), JAR + " is missing: this test runs after package");
        Files.createDirectories(log.toAbsolutePath().getParent());
        Files.deleteIfExists(log);
        return new PackagedService(name, log, properties);
    }

    /** Starts the process (again, after {@link #kill()} or {@link #stop()}) on the same port. */
    public void start() throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules=jdk.incubator.vector"));
        if (Runtime.version().feature() >= 22) {
            command.add("--enable-native-access=ALL-UNNAMED");
        }
        Map<String, String> all = new LinkedHashMap<>(Map.of(
                "quarkus.http.port", Integer.toString(port),
                "quarkus.http.host", "127.0.0.1",
                "rag.model.dir", "src/test/resources/clip-tiny",
                "rag.model.download.enabled", "false"));
        all.putAll(properties);
        all.forEach((key, value) -> command.add("-D" + key + "=" + value));
        command.addAll(List.of("-jar", JAR.toString()));
        process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }

    /** Waits until /q/health/ready answers 200; fails if the process exits first or it takes over two minutes. */
    public void awaitReady() {
        awaitTrue(name + " ready", READY_WITHIN, () -> {
            assertTrue(process.isAlive(), name + " exited; see " + log);
            try {
                return spec().get("/q/health/ready").statusCode() == 200;
            } catch (Exception notListeningYet) { // RestAssured throws ConnectException unchecked
                return false;
            }
        });
    }

    /** SIGKILL: no shutdown hook, no flush. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM, waiting for the process to end. */
    public void stop() throws InterruptedException {
        if (process != null) {
            process.destroy();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }

    public int port() {
        return port;
    }

    public Path log() {
        return log;
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    /** A request to this service. */
    public RequestSpecification spec() {
        return given().baseUri("http://127.0.0.1").port(port);
    }

    /** Waits for {@code condition}, polling every 20 ms; an {@link AssertionError} naming {@code what} after {@code timeout}. */
    public static void awaitTrue(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("waited " + timeout.toSeconds() + " s for " + what);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
