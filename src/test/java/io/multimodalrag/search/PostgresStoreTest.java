package io.multimodalrag.search;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.multimodalrag.clip.ClipModel;
import io.multimodalrag.clip.ImageEncoder;
import io.multimodalrag.clip.LoadStatus;
import io.multimodalrag.clip.ModelLoader;
import io.multimodalrag.config.RagConfig;
import io.multimodalrag.files.ContentHash;
import io.multimodalrag.testing.PostgresResource;
import io.multimodalrag.testing.UniqueImages;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The postgresql store against a real PostgreSQL ({@link io.multimodalrag.testing.PostgresServer}): the schema from
 * the migrations, the demo knowledge base imported once, writes, a second replica (a second store on the same
 * database, as another pod would run it) following them, catch-up after a missed notification, idempotent changes,
 * shared embedding work, and the database lost while serving.
 */
@QuarkusTest
@TestProfile(PostgresStoreTest.PostgresKnowledgeBase.class)
class PostgresStoreTest {

    static final String TOKEN = "test-admin-token-pg";

    /** The postgresql store on a cluster of the test's own, the demo knowledge base imported into it. */
    public static class PostgresKnowledgeBase implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("rag.knowledge-base.import-from", "description.jsonl",
                    "rag.knowledge-base.cache-dir", "target/pg-test-cache",
                    "rag.knowledge-base.poll-interval", "1s",
                    "rag.knowledge-base.retry-interval", "1s",
                    "rag.encoder.max-batch", "2",
                    "rag.admin.token", TOKEN);
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(PostgresResource.class));
        }
    }

    @Inject
    KnowledgeBase knowledgeBase;
    @Inject
    ModelLoader models;
    @Inject
    ImageEncoder encoder;
    @Inject
    ObjectMapper json;
    @Inject
    RagConfig config;
    @Inject
    DataSource dataSource;
    @Inject
    Flyway flyway;

    private final List<PostgresStore> replicas = new ArrayList<>();

    @BeforeEach
    void loaded() {
        await("the knowledge base to load", () -> knowledgeBase.state().status() == LoadStatus.READY);
        await("the database back", () -> knowledgeBase.storeWarnings().isEmpty());
    }

    @AfterEach
    void closeReplicas() {
        replicas.forEach(PostgresStore::close);
    }

    /** Another replica on the same database: a store of its own with a snapshot of its own. */
    private final class Replica implements KnowledgeBaseStore.SnapshotUpdates {
        final PostgresStore store = new PostgresStore(new PostgresStore.Database(() -> dataSource, flyway::migrate),
                encoder, json, config, MatrixScanner.create(1));
        final AtomicReference<KnowledgeBaseSnapshot> snapshot = new AtomicReference<>();

        Replica() {
            replicas.add(store);
        }

        Replica loaded() {
            snapshot.set(store.load(model(), KnowledgeBaseSnapshot.empty()).snapshot());
            return this;
        }

        Replica following() {
            store.follow(this);
            return this;
        }

        @Override
        public synchronized boolean apply(java.util.function.UnaryOperator<KnowledgeBaseSnapshot> change) {
            snapshot.set(change.apply(snapshot.get()));
            return true;
        }

        Optional<KnowledgeBaseEntry> find(String id) {
            KnowledgeBaseSnapshot current = snapshot.get();
            return current.rowOf(id).stream().mapToObj(row -> current.entries().get(row)).findFirst();
        }
    }

    private ClipModel model() {
        return models.require();
    }

    @Test
    void theSchemaComesFromTheMigrations() throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT version, success FROM flyway_schema_history"
                    + " WHERE version IS NOT NULL ORDER BY installed_rank")) {
                assertTrue(rs.next());
                assertEquals("1", rs.getString(1));
                assertTrue(rs.getBoolean(2));
            }
            List<String> tables = new ArrayList<>();
            try (ResultSet rs = s.executeQuery("SELECT table_name FROM information_schema.tables"
                    + " WHERE table_schema = 'public' AND table_name LIKE 'kb\\_%' ORDER BY table_name")) {
                while (rs.next()) {
                    tables.add(rs.getString(1));
                }
            }
            assertEquals(List.of("kb_change", "kb_embedding", "kb_entry", "kb_image"), tables);
        }
    }

    @Test
    void theDemoKnowledgeBaseIsImportedOnceWithItsImagesAndEmbeddings() throws SQLException {
        int before = knowledgeBase.snapshot().entries().size();
        assertTrue(before >= 29, "the 29 demo entries, and whatever the other tests added: " + before);
        assertTrue(knowledgeBase.find("chelsea-cat").isPresent());
        assertEquals(before, count("SELECT count(*) FROM kb_entry"));
        assertEquals(count("SELECT count(*) FROM kb_image"), count("SELECT count(*) FROM kb_embedding"
                + " WHERE vector IS NOT NULL"), "every image embedded once for the one model");

        KnowledgeBase.ImportResult again = knowledgeBase.importCatalogue();

        assertEquals(0, again.added());
        assertEquals(29, again.alreadyThere());
        assertEquals(before, knowledgeBase.snapshot().entries().size());
        given().header("Authorization", "Bearer " + TOKEN).when().post("/v1/admin/import").then().statusCode(200)
                .body("added", org.hamcrest.Matchers.equalTo(0))
                .body("alreadyThere", org.hamcrest.Matchers.equalTo(29));
    }

    @Test
    void aReplicaWithoutAModelBrowsesTheSameEntriesInTheSameOrder() {
        Replica browsing = new Replica();
        List<KnowledgeBaseEntry> entries = browsing.store.browse();
        List<KnowledgeBaseEntry> loaded = new Replica().loaded().snapshot.get().entries();
        assertEquals(loaded.stream().map(KnowledgeBaseEntry::id).toList(), entries.stream().map(KnowledgeBaseEntry::id).toList());
        assertEquals(loaded.get(0).description(), entries.get(0).description());
        assertEquals(loaded.get(0).contentHash(), entries.get(0).contentHash());
    }

    @Test
    void imagesAreServedFromTheDatabase() {
        KnowledgeBaseEntry cat = knowledgeBase.find("chelsea-cat").orElseThrow();
        byte[] bytes = given().get("/v1/images/chelsea-cat/content").then().statusCode(200)
                .header("Content-Type", cat.mediaType()).extract().asByteArray();
        assertEquals(cat.contentHash(), ContentHash.contentHash(bytes));
        given().header("Range", "bytes=0-9").get("/v1/images/chelsea-cat/content").then().statusCode(206)
                .header("Content-Range", "bytes 0-9/" + bytes.length);
    }

    @Test
    void aSecondReplicaSeesEveryWriteOfTheFirst() throws Exception {
        Replica other = new Replica().loaded().following();
        assertEquals(knowledgeBase.snapshot().entries().size(), other.snapshot.get().entries().size());

        byte[] image = UniqueImages.png();
        KnowledgeBaseEntry added = knowledgeBase.add(image, "a tank seen from replica A", Optional.of("tank-a"))
                .await().atMost(Duration.ofSeconds(30));
        await("the add on the other replica", () -> other.find("tank-a").isPresent());
        float[] embedding = encoder.encode(image).await().atMost(Duration.ofSeconds(30));
        KnowledgeBaseSnapshot seen = other.snapshot.get();
        List<ScoredRow> top = seen.matrix().topK(embedding, 1, -1f);
        assertEquals("tank-a", seen.entries().get(top.get(0).row()).id(), "searchable there, as its own best match");
        assertEquals(added.contentHash(), other.find("tank-a").get().contentHash());

        knowledgeBase.updateDescription("tank-a", "a 20 L tank");
        await("the description on the other replica",
                () -> other.find("tank-a").map(e -> e.description().equals("a 20 L tank")).orElse(false));

        knowledgeBase.remove("tank-a");
        await("the removal on the other replica", () -> other.find("tank-a").isEmpty());
        assertEquals(knowledgeBase.snapshot().entries().size(), other.snapshot.get().entries().size());
        assertEquals(0, count("SELECT count(*) FROM kb_image WHERE content_hash = '" + added.contentHash() + "'"),
                "the image went with its entry");
    }

    @Test
    void writesOfAnotherReplicaReachThisOne() {
        Replica other = new Replica().loaded();
        byte[] image = UniqueImages.png();
        float[] embedding = encoder.encode(image).await().atMost(Duration.ofSeconds(30));
        KnowledgeBaseEntry entry = other.store.add(other.snapshot.get(), new KnowledgeBaseStore.NewImage(image,
                ContentHash.contentHash(image), "image/png", "a pump from replica B", Optional.empty(), embedding));

        await("the other replica's add here", () -> knowledgeBase.find(entry.id()).isPresent());
        assertEquals("a pump from replica B", knowledgeBase.find(entry.id()).get().description());
        assertEquals(entry.id(), knowledgeBase.search(embedding, 1, -1f).get(0).entry().id());

        other.store.remove(entry, other.snapshot.get());
        await("the other replica's removal here", () -> knowledgeBase.find(entry.id()).isEmpty());
    }

    @Test
    void aChangeWhoseNotificationWasLostArrivesByPolling() throws SQLException {
        KnowledgeBaseEntry cat = knowledgeBase.find("chelsea-cat").orElseThrow();
        String description = "a tabby cat, described without a notification " + System.nanoTime();
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            long seq;
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                    "SELECT pg_advisory_xact_lock(" + 0x6b622d6368616e67L + "), nextval('kb_change_seq')")) {
                rs.next();
                seq = rs.getLong(2);
            }
            try (PreparedStatement s = c.prepareStatement("UPDATE kb_entry SET description = ? WHERE id = ?")) {
                s.setString(1, description);
                s.setString(2, "chelsea-cat");
                s.executeUpdate();
            }
            try (PreparedStatement s = c.prepareStatement("INSERT INTO kb_change (seq, entry_id) VALUES (?, ?)")) {
                s.setLong(1, seq);
                s.setString(2, "chelsea-cat");
                s.executeUpdate();
            }
            c.commit(); // no NOTIFY: as if the notification had been lost with a connection
        }
        await("the change by polling", () -> knowledgeBase.find("chelsea-cat").get().description().equals(description));
        knowledgeBase.updateDescription("chelsea-cat", cat.description());
    }

    @Test
    void changesAppliedTwiceChangeNothing() {
        Replica other = new Replica().loaded();
        KnowledgeBaseSnapshot before = other.snapshot.get();
        PostgresStore store = other.store;
        long last = store.appliedChange();

        store.replayAllChanges();
        KnowledgeBaseSnapshot replayed = store.caughtUp(before);

        assertEquals(before.entries(), replayed.entries());
        assertEquals(last, store.appliedChange());
        for (int row = 0; row < before.entries().size(); row++) {
            assertTrue(java.util.Arrays.equals(before.matrix().row(row), replayed.matrix().row(row)), "row " + row);
        }
    }

    @Test
    void aDatabaseWhoseChangesWentBackIsReadWhole() throws SQLException {
        KnowledgeBaseEntry added = knowledgeBase.add(UniqueImages.png(), "lost with the backup", Optional.empty())
                .await().atMost(Duration.ofSeconds(30));
        Replica other = new Replica().loaded();
        assertTrue(other.find(added.id()).isPresent());
        long seq = count("SELECT max(seq) FROM kb_change WHERE entry_id = '" + added.id() + "'");
        // As after a restore from a backup taken just before the add: neither the entry nor its change is there.
        execute("DELETE FROM kb_entry WHERE id = '" + added.id() + "'");
        execute("DELETE FROM kb_change WHERE seq >= " + seq);

        KnowledgeBaseSnapshot after = other.store.caughtUp(other.snapshot.get());

        assertTrue(after.rowOf(added.id()).isEmpty(), "the replica follows the database, not what it held");
        assertEquals(count("SELECT count(*) FROM kb_entry"), after.entries().size());
        await("this replica too", () -> knowledgeBase.find(added.id()).isEmpty());
    }

    @Test
    void replicasShareTheEmbeddingWorkForAModelTheStoreHasNotSeen() throws Exception {
        int images = (int) count("SELECT count(*) FROM kb_image");
        execute("DELETE FROM kb_embedding"); // as after a new model: no embedding for it anywhere
        Replica first = new Replica();
        Replica second = new Replica();
        first.store.useModel(model());
        second.store.useModel(model());
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try {
            List<Callable<Integer>> work = List.of(first.store::embedMissing, second.store::embedMissing);
            int embedded = 0;
            List<Integer> shares = new ArrayList<>();
            for (Future<Integer> share : threads.invokeAll(work)) {
                shares.add(share.get());
                embedded += share.get();
            }
            assertEquals(images, embedded, "each image embedded once across the two: " + shares);
            assertEquals(images, count("SELECT count(*) FROM kb_embedding WHERE vector IS NOT NULL"));
        } finally {
            threads.shutdownNow();
        }
        Replica third = new Replica().loaded();
        assertEquals(knowledgeBase.snapshot().entries().size(), third.snapshot.get().entries().size(),
                "a new replica loads them all, embedding nothing");
    }

    @Test
    void aDatabaseLostWhileServingKeepsSearchesAndRefusesWrites() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(PostgresResource.server().ownCluster(),
                "stopping the database needs a cluster of the tests' own");
        byte[] cat = given().get("/v1/images/chelsea-cat/content").then().statusCode(200).extract().asByteArray();
        float[] query = encoder.encode(cat).await().atMost(Duration.ofSeconds(30));
        int entries = knowledgeBase.snapshot().entries().size();

        PostgresResource.server().stop();
        try {
            assertEquals("chelsea-cat", knowledgeBase.search(query, 1, -1f).get(0).entry().id());
            given().multiPart("image", "cat.jpg", cat).when().post("/v1/search").then().statusCode(200);
            KnowledgeBaseStorageException refused = assertThrows(KnowledgeBaseStorageException.class,
                    () -> knowledgeBase.add(UniqueImages.png(), "written while the database is down", Optional.empty())
                            .await().atMost(Duration.ofSeconds(30)));
            assertTrue(refused.passing());
            given().header("Authorization", "Bearer " + TOKEN).multiPart("image", "new.png", UniqueImages.png())
                    .multiPart("description", "refused").when().post("/v1/images").then().statusCode(503)
                    .contentType("application/problem+json").header("Retry-After", "5");
            given().header("Authorization", "Bearer " + TOKEN).contentType("application/json")
                    .body("{\"description\": \"refused\"}").when().put("/v1/images/chelsea-cat/description").then()
                    .statusCode(503).header("Retry-After", "5");
            await("the follower to notice", () -> knowledgeBase.storeWarnings().containsKey("database"));
            given().get("/q/health/ready").then().statusCode(200);
            assertEquals(entries, knowledgeBase.snapshot().entries().size());
        } finally {
            PostgresResource.server().startCluster();
        }
        await("the follower to reconnect", () -> knowledgeBase.storeWarnings().isEmpty());
        KnowledgeBaseEntry added = knowledgeBase.add(UniqueImages.png(), "written once it is back", Optional.empty())
                .await().atMost(Duration.ofSeconds(30));
        assertEquals(1, count("SELECT count(*) FROM kb_entry WHERE id = '" + added.id() + "'"));
        assertEquals(0, count("SELECT count(*) FROM kb_entry WHERE description = 'written while the database is"
                + " down' OR description = 'refused'"), "nothing half-written");
        knowledgeBase.remove(added.id());
    }

    @Test
    void duplicatesAreRefusedByTheDatabaseToo() {
        KnowledgeBaseEntry cat = knowledgeBase.find("chelsea-cat").orElseThrow();
        byte[] image = knowledgeBase.imageBytes(cat);
        Replica stale = new Replica().loaded();
        KnowledgeBaseSnapshot withoutCat = stale.snapshot.get().minus(stale.snapshot.get().rowOf("chelsea-cat")
                .getAsInt()); // a replica that has not seen the cat yet
        DuplicateEntryException duplicate = assertThrows(DuplicateEntryException.class, () -> stale.store.add(
                withoutCat, new KnowledgeBaseStore.NewImage(image, cat.contentHash(), cat.mediaType(), "again",
                        Optional.empty(), new float[model().dimensions()])));
        assertEquals("chelsea-cat", duplicate.existing().id());
        assertFalse(duplicate.getMessage().isBlank());
    }

    private long count(String sql) {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
    }

    private void execute(String sql) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("waited 30 s for " + what);
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
