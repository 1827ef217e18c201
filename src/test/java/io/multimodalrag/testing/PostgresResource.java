package io.multimodalrag.testing;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/**
 * A {@link PostgresServer} for a Quarkus test profile: started before the application, its URL handed to the
 * datasource, stopped after the profile's tests. Tests reach it through {@link #server()}.
 */
public class PostgresResource implements QuarkusTestResourceLifecycleManager {

    private static volatile PostgresServer server;

    /** The server of the running profile. */
    public static PostgresServer server() {
        PostgresServer current = server;
        if (current == null) {
            throw new IllegalStateException("no PostgreSQL test server: the profile lists PostgresResource");
        }
        return current;
    }

    @Override
    public Map<String, String> start() {
        PostgresServer started = PostgresServer.start("quarkus-test");
        server = started;
        return Map.of("quarkus.datasource.jdbc.url", started.jdbcUrl(),
                "quarkus.datasource.username", started.username(),
                "rag.knowledge-base.store", "postgresql");
    }

    @Override
    public void stop() {
        PostgresServer current = server;
        server = null;
        if (current != null) {
            current.close();
        }
    }
}
