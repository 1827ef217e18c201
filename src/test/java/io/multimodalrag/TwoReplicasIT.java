package io.multimodalrag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static io.multimodalrag.testing.PackagedService.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multimodalrag.testing.PackagedService;
import io.multimodalrag.testing.PostgresServer;
import io.multimodalrag.testing.UniqueImages;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Two service processes (the packaged jar, as two pods run it) on one PostgreSQL database: a write through one is
 * searchable on the other within a second; a kill -9 of one during concurrent adds loses no acknowledged add; the
 * other keeps answering searches while the database is stopped and refuses writes; both converge once it is back.
 * Runs after {@code package} (failsafe), on a cluster of the test's own.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TwoReplicasIT {

    private static final Path DIR = Path.of("target", "two-replicas");
    private static final String TOKEN = "two-replicas-admin-token";
    private static final String PASSWORD = "db-password-never-logged";

    private static PostgresServer database;
    private static Replica a;
    private static Replica b;

    /** One service process. */
    private static final class Replica {
        final String name;
        final PackagedService service;

        Replica(String name) throws IOException {
            this.name = name;
            this.service = PackagedService.of(name, DIR.resolve(name + ".log"), Map.of(
                    "rag.knowledge-base.store", "postgresql",
                    "quarkus.datasource.jdbc.url", database.jdbcUrl(),
                    "quarkus.datasource.username", database.username(),
                    "quarkus.datasource.password", PASSWORD,
                    "rag.knowledge-base.import-from", "description.jsonl",
                    "rag.knowledge-base.cache-dir", DIR.resolve("cache-" + name).toString(),
                    "rag.knowledge-base.retry-interval", "1s",
                    "rag.admin.token", TOKEN));
        }

        void start() throws IOException {
            service.start();
        }

        Path log() {
            return service.log();
        }

        void awaitReady() {
            service.awaitReady();
        }

        void kill() throws InterruptedException {
            service.kill();
        }

        RequestSpecification spec() {
            return service.spec();
        }

        RequestSpecification admin() {
            return spec().header("Authorization", "Bearer " + TOKEN);
        }

        Response add(byte[] image, String description) {
            return admin().multiPart("image", "photo.png", image).multiPart("description", description)
                    .when().post("/v1/images");
        }

        String topMatch(byte[] image) {
            Response response = spec().multiPart("image", "photo.png", image).multiPart("k", "1").when()
                    .post("/v1/search");
            return response.statusCode() == 200 ? response.path("results[0].id") : null;
        }

        boolean has(String id) {
            return spec().get("/v1/images/" + id).statusCode() == 200;
        }

        Set<String> ids() {
            Set<String> ids = new HashSet<>();
            for (int page = 0; ; page++) {
                List<String> items = spec().queryParam("page", page).queryParam("size", 100).get("/v1/images")
                        .then().statusCode(200).extract().path("items.id");
                ids.addAll(items);
                if (items.size() < 100) {
                    return ids;
                }
            }
        }
    }

    @BeforeAll
    static void start() throws IOException {
        Assumptions.assumeTrue(System.getenv(PostgresServer.URL_VARIABLE) == null,
                "the test stops and starts the database: a cluster of its own");
        database = PostgresServer.start("two-replicas");
        a = new Replica("a");
        b = new Replica("b");
        a.start();
        b.start();
        a.awaitReady();
        b.awaitReady();
    }

    @AfterAll
    static void stop() throws Exception {
        for (Replica replica : new Replica[] {a, b}) {
            if (replica != null) {
                replica.service.stop();
            }
        }
        if (database != null) {
            database.close();
        }
        for (Replica replica : new Replica[] {a, b}) {
            if (replica != null) {
                String log = Files.readString(replica.log());
                assertFalse(log.contains(PASSWORD), replica.name + "'s log shows the database password");
            }
        }
    }

    @Test
    @Order(1)
    void bothServeTheImportedKnowledgeBase() {
        assertEquals(a.ids(), b.ids());
        assertEquals(29, a.ids().size(), "the demo knowledge base, imported once by whichever started first");
    }

    @Test
    @Order(2)
    void anImageAddedThroughOneIsFoundOnTheOtherWithinASecond() {
        List<Long> millis = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            byte[] image = UniqueImages.png();
            String id = a.add(image, "added through a, #" + i).then().statusCode(201).extract().path("id");
            long acknowledged = System.nanoTime();
            awaitTrue(id + " found on b", Duration.ofSeconds(10), () -> id.equals(b.topMatch(image)));
            millis.add((System.nanoTime() - acknowledged) / 1_000_000);
        }
        assertTrue(millis.stream().allMatch(ms -> ms <= 1000), "visible on b after (ms) " + millis);
    }

    @Test
    @Order(3)
    void aKillDuringConcurrentAddsLosesNoAcknowledgedAdd() throws Exception {
        Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService adders = Executors.newFixedThreadPool(8);
        for (int t = 0; t < 8; t++) {
            int adder = t;
            adders.submit(() -> {
                while (!stop.get()) {
                    try {
                        Response response = a.add(UniqueImages.png(), "from adder " + adder);
                        if (response.statusCode() == 201) {
                            acknowledged.add(response.path("id"));
                        }
                    } catch (Exception connectionGone) {
                        return;
                    }
                }
            });
        }
        awaitTrue("acknowledged adds", Duration.ofSeconds(60), () -> acknowledged.size() >= 24);
        a.kill();
        stop.set(true);
        adders.shutdown();
        assertTrue(adders.awaitTermination(60, TimeUnit.SECONDS));

        Set<String> seen = Set.copyOf(acknowledged);
        awaitTrue("every acknowledged add on b", Duration.ofSeconds(10), () -> b.ids().containsAll(seen));
        a.start();
        a.awaitReady();
        Set<String> onA = a.ids();
        assertTrue(onA.containsAll(seen), "lost on a's restart: " + diff(seen, onA));
        assertEquals(b.ids(), onA);
    }

    @Test
    @Order(4)
    void withTheDatabaseStoppedSearchesGoOnAndWritesAre503ThenBothConverge() {
        byte[] cat = b.spec().get("/v1/images/chelsea-cat/content").then().statusCode(200).extract().asByteArray();
        database.stop();
        try {
            for (int i = 0; i < 5; i++) {
                assertEquals("chelsea-cat", b.topMatch(cat), "b searches from its snapshot");
            }
            b.add(UniqueImages.png(), "refused while the database is stopped").then().statusCode(503)
                    .contentType("application/problem+json").header("Retry-After", "5");
            b.admin().contentType("application/json").body("{\"description\": \"refused\"}")
                    .put("/v1/images/chelsea-cat/description").then().statusCode(503);
            b.admin().delete("/v1/images/chelsea-cat").then().statusCode(503);
            assertEquals(200, b.spec().get("/q/health/ready").statusCode(), "b stays in the Service");
        } finally {
            database.startCluster();
        }
        byte[] image = UniqueImages.png();
        String[] id = new String[1];
        awaitTrue("a write through b once the database is back", Duration.ofSeconds(30), () -> {
            Response response = b.add(image, "added through b after the restart");
            if (response.statusCode() == 201) {
                id[0] = response.path("id");
                return true;
            }
            return false;
        });
        awaitTrue(id[0] + " found on a", Duration.ofSeconds(10), () -> id[0].equals(a.topMatch(image)));
        awaitTrue("a and b the same", Duration.ofSeconds(10), () -> a.ids().equals(b.ids()));
        assertTrue(a.has("chelsea-cat") && b.has("chelsea-cat"), "the refused delete deleted nothing");
        assertFalse(a.ids().isEmpty());
    }

    private static Set<String> diff(Set<String> expected, Set<String> actual) {
        Set<String> missing = new HashSet<>(expected);
        missing.removeAll(actual);
        return missing;
    }
}
