package io.multimodalrag.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server for the tests: a cluster of its own, made with {@code initdb} in a folder under target/
 * and run with {@code pg_ctl} on a free port (as the {@code postgres} user when the tests run as root, since initdb
 * refuses root), or, when {@value #URL_VARIABLE} names one, a fresh database on that server. Debian's
 * {@code postgresql} package gives the binaries; {@code .ci/run} installs it.
 */
public final class PostgresServer implements AutoCloseable {

    /** A JDBC URL of a server to use instead of a cluster of the tests' own, credentials in its parameters. */
    public static final String URL_VARIABLE = "RAG_TEST_POSTGRES_URL";

    private static final String DATABASE = "rag";

    private final Path directory;
    private final Path bin;
    private final int port;
    private final String url;
    private final String user;

    private PostgresServer(Path directory, Path bin, int port, String url, String user) {
        this.directory = directory;
        this.bin = bin;
        this.port = port;
        this.url = url;
        this.user = user;
    }

    /** Starts a cluster in {@code target/postgres/<name>} (made afresh), or makes a database on the named server. */
    public static PostgresServer start(String name) {
        return start(name, -1);
    }

    /** {@link #start(String)} on {@code port} (a cluster of the tests' own only), or a free one when negative. */
    public static PostgresServer start(String name, int port) {
        String external = System.getenv(URL_VARIABLE);
        if (external != null && !external.isBlank()) {
            return onExternalServer(external);
        }
        Path bin = binaries();
        Path directory = Path.of("target", "postgres", name).toAbsolutePath();
        try {
            TestFiles.deleteRecursively(directory);
            Files.createDirectories(directory);
            if (runningAsRoot()) {
                run(List.of("chown", "postgres:postgres", directory.toString()));
            }
            run(asOwner(List.of(bin.resolve("initdb").toString(), "-D", directory.resolve("data").toString(),
                    "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync")));
            PostgresServer server = new PostgresServer(directory, bin, port < 0 ? freePort() : port, null, "postgres");
            server.startCluster();
            try (Connection c = DriverManager.getConnection(server.adminUrl(), "postgres", "");
                    Statement s = c.createStatement()) {
                s.execute("CREATE DATABASE " + DATABASE);
            }
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (SQLException e) {
            throw new IllegalStateException("the test cluster does not answer: " + e.getMessage(), e);
        }
    }

    private static PostgresServer onExternalServer(String external) {
        String database = "rag_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection c = DriverManager.getConnection(external); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + database);
        } catch (SQLException e) {
            throw new IllegalStateException(URL_VARIABLE + " names a server the tests cannot use: " + e.getMessage(), e);
        }
        int slash = external.indexOf('/', "jdbc:postgresql://".length());
        int query = external.indexOf('?');
        String url = external.substring(0, slash + 1) + database + (query < 0 ? "" : external.substring(query));
        return new PostgresServer(null, null, -1, url, null);
    }

    /** The JDBC URL of the test database. */
    public String jdbcUrl() {
        return url != null ? url : "jdbc:postgresql://127.0.0.1:" + port + "/" + DATABASE;
    }

    /** The user to connect as; empty for an external server, whose URL carries its own. */
    public String username() {
        return user == null ? "" : user;
    }

    /** Whether the tests can stop and start this server (their own cluster). */
    public boolean ownCluster() {
        return directory != null;
    }

    /** A connection to the test database. */
    public Connection connect() throws SQLException {
        return user == null ? DriverManager.getConnection(jdbcUrl()) : DriverManager.getConnection(jdbcUrl(), user, "");
    }

    /** Stops the cluster (fast shutdown: connections are closed, committed work is kept). */
    public void stop() {
        requireOwnCluster();
        run(asOwner(List.of(bin.resolve("pg_ctl").toString(), "-D", directory.resolve("data").toString(), "-m", "fast",
                "-w", "stop")));
    }

    /** Starts the stopped cluster again, on the same port. */
    public void startCluster() {
        requireOwnCluster();
        run(asOwner(List.of(bin.resolve("pg_ctl").toString(), "-D", directory.resolve("data").toString(), "-w",
                "-t", "60", "-l", directory.resolve("server.log").toString(), "-o",
                "-p " + port + " -c listen_addresses=127.0.0.1 -k " + directory + " -c fsync=off", "start")));
    }

    @Override
    public void close() {
        if (directory == null) {
            return; // an external server keeps its databases for inspection; they are named rag_test_*
        }
        try {
            stop();
        } catch (RuntimeException e) {
            // already stopped
        }
        try {
            TestFiles.deleteRecursively(directory);
        } catch (IOException e) {
            // left in target/, cleaned by the next run
        }
    }

    private String adminUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
    }

    private void requireOwnCluster() {
        if (directory == null) {
            throw new IllegalStateException("the server named by " + URL_VARIABLE + " is not the tests' to stop");
        }
    }

    private static Path binaries() {
        String given = System.getenv("PG_BIN");
        if (given != null && !given.isBlank()) {
            return Path.of(given);
        }
        try (Stream<Path> versions = Files.list(Path.of("/usr/lib/postgresql"))) {
            return versions.map(v -> v.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("initdb")))
                    .max(Comparator.comparing(b -> Integer.parseInt(b.getParent().getFileName().toString())))
                    .orElseThrow(() -> new IllegalStateException("no initdb under /usr/lib/postgresql/*/bin"));
        } catch (IOException | NumberFormatException e) {
            throw new IllegalStateException("PostgreSQL is not installed (apt-get install postgresql), or set PG_BIN"
                    + " or " + URL_VARIABLE, e);
        }
    }

    private static boolean runningAsRoot() {
        return "root".equals(System.getProperty("user.name").toLowerCase(Locale.ROOT));
    }

    private static List<String> asOwner(List<String> command) {
        if (!runningAsRoot()) {
            return command;
        }
        List<String> wrapped = new ArrayList<>(List.of("runuser", "-u", "postgres", "--"));
        wrapped.addAll(command);
        return wrapped;
    }

    private static void run(List<String> command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            byte[] output = process.getInputStream().readAllBytes();
            if (!process.waitFor(120, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed:\n" + new String(output));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A port nothing listens on now. */
    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
