package io.multimodalrag.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multimodalrag.testing.TestFiles;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import io.multimodalrag.testing.UniqueImages;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.specification.RequestSpecification;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Adding, editing, deleting and reloading through HTTP, on a scratch knowledge base. */
@QuarkusTest
@TestProfile(KnowledgeBaseWriteTest.WritableKnowledgeBase.class)
class KnowledgeBaseWriteTest {

    static final Path ROOT = Path.of("target", "kb-write-test");
    static final Path KB = ROOT.resolve("kb");
    static final Path JSONL = KB.resolve("description.jsonl");
    static final Path IMAGES = KB.resolve("image_database");
    static final String TOKEN = "test-admin-token-5f1c";
    static final String ORPHAN = "0123456789abcdef.jpg";

    /** A scratch knowledge base with a torn last line and an orphaned image, and an admin token. */
    public static class WritableKnowledgeBase implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("rag.knowledge-base.descriptions", JSONL.toString(),
                    "rag.knowledge-base.cache-dir", ROOT.resolve("cache").toString(),
                    "rag.admin.token", TOKEN);
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(ScratchKnowledgeBase.class));
        }
    }

    /** Writes the scratch knowledge base before the service starts. */
    public static class ScratchKnowledgeBase implements QuarkusTestResourceLifecycleManager {
        @Override
        public Map<String, String> start() {
            try {
                TestFiles.deleteRecursively(ROOT);
                Files.createDirectories(IMAGES);
                for (String name : List.of("chelsea-cat.jpg", "coffee-cup.jpg", "motorcycle.jpg")) {
                    Files.copy(Path.of("image_database", name), IMAGES.resolve(name));
                }
                Files.copy(Path.of("image_database", "light-bulb.jpg"), IMAGES.resolve(ORPHAN));
                Files.writeString(IMAGES.resolve("notes.txt"), "a file of the team's own: never touched");
                Files.writeString(JSONL, """
                        {"image_path": "image_database/chelsea-cat.jpg", "description": "a cat"}
                        {"image_path": "image_database/coffee-cup.jpg", "description": "an espresso"}
                        {"image_path": "image_database/motorcycle.jpg", "description": "a motorcycle"}
                        {"image_path": "image_database/0123456789abcdef.jpg", "descrip""", StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return Map.of();
        }

        @Override
        public void stop() {
        }
    }

    @BeforeEach
    void ready() {
        ServiceReadiness.awaitStartupFinished();
    }

    private static RequestSpecification admin() {
        return given().header("Authorization", "Bearer " + TOKEN);
    }

    /** A small PNG whose content no other call produces. */
    static byte[] uniqueImage() {
        return UniqueImages.png();
    }

    private static String add(byte[] image, String description) {
        return admin().multiPart("image", "photo.png", image).multiPart("description", description)
                .when().post("/v1/images").then()
                .statusCode(201)
                .header("Location", containsString("/v1/images/"))
                .body("description", equalTo(description))
                .extract().path("id");
    }

    private static String jsonl() throws IOException {
        return Files.readString(JSONL, StandardCharsets.UTF_8);
    }

    @Test
    void aTornLastLineAndAnOrphanedImageWereRepairedAtStartUp() throws IOException {
        String content = jsonl();
        assertTrue(content.endsWith("\n"), "the file ends with a whole line");
        assertFalse(content.contains("descrip\""), "the torn line is gone");
        assertTrue(Files.exists(IMAGES.resolve(".orphaned").resolve(ORPHAN)), "the orphan was moved aside");
        assertFalse(Files.exists(IMAGES.resolve(ORPHAN)));
        assertTrue(Files.exists(IMAGES.resolve("notes.txt")), "files the service did not store are left alone");
        given().get("/v1/images/chelsea-cat").then().statusCode(200);
    }

    @Test
    void anAddedImageIsStoredDurablyAndFoundFirstAtOnce() throws IOException {
        byte[] image = TestImages.knowledgeBaseImage("gas-cylinder.jpg");
        String id = add(image, "A 47 kg propane cylinder; capacity 108 litres of water");
        assertTrue(id.matches("[0-9a-f]{16}"), id);

        given().multiPart("image", "q.jpg", image).when().post("/v1/search").then().statusCode(200)
                .body("results[0].id", equalTo(id))
                .body("results[0].description", containsString("108 litres"));
        Path stored = IMAGES.resolve(id + ".jpg");
        assertTrue(Files.exists(stored));
        assertTrue(java.util.Arrays.equals(image, Files.readAllBytes(stored)));
        assertTrue(jsonl().contains("\"image_path\":\"image_database/" + id + ".jpg\""), jsonl());
        given().get("/v1/images/" + id + "/content").then().statusCode(200).contentType("image/jpeg");
    }

    @Test
    void theSameImageTwiceIsA409WithTheExistingEntry() {
        byte[] image = uniqueImage();
        String id = add(image, "first copy");
        admin().multiPart("image", "again.png", image).multiPart("description", "second copy")
                .when().post("/v1/images").then()
                .statusCode(409).contentType(Problem.MEDIA_TYPE)
                .body("existing.id", equalTo(id))
                .body("existing.description", equalTo("first copy"));
    }

    @Test
    void aClientIdIsKeptAndMustBeFree() throws IOException {
        admin().multiPart("image", "a.png", uniqueImage()).multiPart("description", "named")
                .multiPart("id", "generator-5kw").when().post("/v1/images").then()
                .statusCode(201).body("id", equalTo("generator-5kw"));
        assertTrue(jsonl().contains("\"id\":\"generator-5kw\""));
        admin().multiPart("image", "b.png", uniqueImage()).multiPart("description", "other")
                .multiPart("id", "generator-5kw").when().post("/v1/images").then()
                .statusCode(409).body("existing.id", equalTo("generator-5kw"));
        for (String bad : List.of("../etc", "a/b", "-lead", "x".repeat(65), "sp ace")) {
            admin().multiPart("image", "c.png", uniqueImage()).multiPart("description", "bad id")
                    .multiPart("id", bad).when().post("/v1/images").then()
                    .statusCode(400).body("detail", containsString("'id'"));
        }
    }

    @Test
    void updatingADescriptionRewritesOnlyItsLine() throws IOException {
        String id = add(uniqueImage(), "before");
        String before = jsonl();
        admin().contentType("application/json").body(Map.of("description", "after: 20 L tank"))
                .when().put("/v1/images/" + id + "/description").then()
                .statusCode(200).body("description", equalTo("after: 20 L tank"));
        given().get("/v1/images/" + id).then().body("description", equalTo("after: 20 L tank"));
        String after = jsonl();
        List<String> changed = new ArrayList<>(after.lines().toList());
        changed.removeAll(before.lines().toList());
        assertEquals(1, changed.size(), "exactly one line differs");
        assertTrue(changed.get(0).contains("after: 20 L tank"));
        admin().contentType("application/json").body(Map.of("description", " "))
                .when().put("/v1/images/" + id + "/description").then().statusCode(400);
        admin().contentType("application/json").body(Map.of("description", "x"))
                .when().put("/v1/images/no-such-id/description").then().statusCode(404).contentType(Problem.MEDIA_TYPE);
    }

    @Test
    void aDescriptionThatIsNotAStringIsA400AndChangesNothing() throws IOException {
        String id = add(uniqueImage(), "kept as it is");
        String before = jsonl();
        for (String body : List.of("{\"description\": 42}", "{\"description\": {\"text\": \"x\"}}",
                "{\"description\": [\"x\"]}", "{\"description\": true}",
                "{\"description\": \"one\", \"description\": \"two\"}")) {
            admin().contentType("application/json").body(body).when().put("/v1/images/" + id + "/description").then()
                    .statusCode(400).contentType(Problem.MEDIA_TYPE).body("detail", containsString("description"));
        }
        assertEquals(before, jsonl());
        given().get("/v1/images/" + id).then().body("description", equalTo("kept as it is"));
    }

    @Test
    void theLocationOfAnAddedImageNeverEchoesTheHostHeader() {
        String location = admin().header("Host", "evil.example").multiPart("image", "l.png", uniqueImage())
                .multiPart("description", "location test").when().post("/v1/images").then()
                .statusCode(201).extract().header("Location");
        assertTrue(location.startsWith("/v1/images/"), location);
    }

    @Test
    void deletingRemovesTheLineTheFileAndTheSearchResult() throws IOException {
        byte[] image = uniqueImage();
        String id = add(image, "to be deleted");
        admin().when().delete("/v1/images/" + id).then().statusCode(200).body("id", equalTo(id));
        given().get("/v1/images/" + id).then().statusCode(404);
        assertFalse(Files.exists(IMAGES.resolve(id + ".png")));
        assertFalse(jsonl().contains(id));
        given().multiPart("image", "q.png", image).multiPart("k", "100").when().post("/v1/search").then()
                .statusCode(200).body("results.id", not(org.hamcrest.Matchers.hasItem(id)));
        admin().when().delete("/v1/images/" + id).then().statusCode(404);
    }

    @Test
    void clientFileNamesNeverChooseWhereTheImageGoes() throws IOException {
        for (String name : List.of("../../escape.png", "/tmp/absolute.png", "nul\u0000byte.png", "n".repeat(300) + ".png",
                "..\\..\\windows.png")) {
            String id = admin().multiPart("image", name, uniqueImage()).multiPart("description", "name test")
                    .when().post("/v1/images").then().statusCode(201).extract().path("id");
            assertTrue(Files.exists(IMAGES.resolve(id + ".png")), name);
        }
        assertFalse(Files.exists(ROOT.resolve("escape.png")));
        assertFalse(Files.exists(KB.resolve("escape.png")));
        assertFalse(Files.exists(Path.of("/tmp/absolute.png")));
        try (var files = Files.list(IMAGES)) {
            List<String> unexpected = files.map(p -> p.getFileName().toString())
                    .filter(n -> !n.matches("[0-9a-f]{16}\\.(png|jpg)|(chelsea-cat|coffee-cup|motorcycle|tractor-wheel)\\.jpg"
                            + "|notes.txt|\\.orphaned"))
                    .toList();
            assertEquals(List.of(), unexpected, "only content-derived names were created");
        }
    }

    @Test
    void badUploadsStoreNothing() throws IOException {
        String before = jsonl();
        admin().multiPart("image", "x.png", "not an image".getBytes()).multiPart("description", "text")
                .when().post("/v1/images").then().statusCode(415).contentType(Problem.MEDIA_TYPE);
        admin().multiPart("image", "x.png", uniqueImage()).when().post("/v1/images").then()
                .statusCode(400).body("detail", containsString("'description'"));
        admin().multiPart("image", "x.png", uniqueImage()).multiPart("description", "d".repeat(4001))
                .when().post("/v1/images").then().statusCode(400);
        admin().multiPart("description", "no image").when().post("/v1/images").then().statusCode(400);
        assertEquals(before, jsonl());
    }

    @Test
    void aStorageFailureIsA503AndChangesNothing() throws IOException {
        int before = given().get("/v1/images").path("total");
        Path aside = ROOT.resolve("description.jsonl.aside");
        Files.move(JSONL, aside);
        Files.createDirectory(JSONL); // appending to a folder fails like a read-only volume would
        try {
            admin().multiPart("image", "s.png", uniqueImage()).multiPart("description", "cannot be stored")
                    .when().post("/v1/images").then()
                    .statusCode(503).contentType(Problem.MEDIA_TYPE)
                    .body("type", equalTo("urn:multimodal-rag:problem:storage-unavailable"))
                    .body("detail", not(containsString("Exception")));
        } finally {
            Files.delete(JSONL);
            Files.move(aside, JSONL);
        }
        given().get("/v1/images").then().body("total", equalTo(before));
    }

    @Test
    void aDescriptionsFileMissingForAMomentLosesNothing() throws IOException {
        String id = add(uniqueImage(), "added before the file went away");
        int before = given().get("/v1/images").path("total");
        Path aside = ROOT.resolve("description.jsonl.syncing");
        Files.move(JSONL, aside); // a sync job replacing the file, a volume glitch
        try {
            admin().when().post("/v1/admin/reload").then()
                    .statusCode(503).contentType(Problem.MEDIA_TYPE)
                    .body("type", equalTo("urn:multimodal-rag:problem:knowledge-base-unavailable"))
                    .body("detail", containsString("nothing changed"));
            given().get("/v1/images").then().body("total", equalTo(before));
            given().get("/q/health/ready").then().statusCode(200)
                    .body("checks.find { it.name == 'knowledge-base' }.data.reload", containsString("refused"));
            given().multiPart("image", "q.jpg", TestImages.knowledgeBaseImage("coffee-cup.jpg")).post("/v1/search")
                    .then().statusCode(200).body("results[0].id", equalTo("coffee-cup"));

            admin().multiPart("image", "n.png", uniqueImage()).multiPart("description", "while it is missing")
                    .when().post("/v1/images").then()
                    .statusCode(503).body("type", equalTo("urn:multimodal-rag:problem:storage-unavailable"))
                    .body("detail", containsString("description.jsonl is missing"));
            admin().contentType("application/json").body(Map.of("description", "edited while missing"))
                    .when().put("/v1/images/" + id + "/description").then().statusCode(503);
            admin().when().delete("/v1/images/" + id).then().statusCode(503);
            assertFalse(Files.exists(JSONL), "no write made up a new file in its place");
        } finally {
            Files.move(aside, JSONL);
        }
        admin().when().post("/v1/admin/reload").then().statusCode(200)
                .body("entries", equalTo(before)).body("embedded", equalTo(0));
        given().get("/v1/images/" + id).then().statusCode(200)
                .body("description", equalTo("added before the file went away"));
        given().get("/q/health/ready").then().body("checks.find { it.name == 'knowledge-base' }.data.reload",
                org.hamcrest.Matchers.nullValue());
        assertTrue(Files.exists(IMAGES.resolve(id + ".png")), "the stored image was not moved aside");
    }

    @Test
    void writesNeedTheAdminToken() {
        given().multiPart("image", "a.png", uniqueImage()).multiPart("description", "anonymous")
                .when().post("/v1/images").then()
                .statusCode(401).contentType(Problem.MEDIA_TYPE)
                .header("WWW-Authenticate", containsString("Bearer"));
        given().header("Authorization", "Bearer wrong-token").multiPart("image", "a.png", uniqueImage())
                .multiPart("description", "wrong").when().post("/v1/images").then()
                .statusCode(401).contentType(Problem.MEDIA_TYPE).body("detail", not(containsString(TOKEN)));
        given().header("Authorization", "Bearer wrong-token").when().delete("/v1/images/chelsea-cat").then()
                .statusCode(401);
        given().when().post("/v1/admin/reload").then().statusCode(401);
        given().when().post("/v1/admin/import").then().statusCode(401);
        given().header("Authorization", "Bearer wrong-token").get("/v1/images/chelsea-cat").then().statusCode(200);
    }

    @Test
    void anImportIntoTheFilesStoreIsRefused() {
        int before = given().get("/v1/images").then().extract().path("total");
        admin().when().post("/v1/admin/import").then().statusCode(409).contentType(Problem.MEDIA_TYPE)
                .body("type", containsString("import-refused")).body("detail", containsString("postgresql"));
        given().get("/v1/images").then().body("total", equalTo(before));
    }

    @Test
    void reloadPicksUpFilesChangedBehindTheServicesBack() throws IOException {
        Files.copy(Path.of("image_database", "tractor-wheel.jpg"), IMAGES.resolve("tractor-wheel.jpg"),
                StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(JSONL, "{\"image_path\": \"image_database/tractor-wheel.jpg\", \"description\": \"synced\"}\n",
                StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND);
        admin().when().post("/v1/admin/reload").then().statusCode(200).body("embedded", equalTo(1));
        given().get("/v1/images/tractor-wheel").then().statusCode(200).body("description", equalTo("synced"));
    }

    @Test
    void concurrentWritersAndReadersLoseNothingAndSeeNoHalfWrittenEntry() throws Exception {
        Set<String> added = ConcurrentHashMap.newKeySet();
        List<String> problems = Collections.synchronizedList(new ArrayList<>());
        long deadline = System.nanoTime() + 3_000_000_000L;
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<?>> tasks = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
            tasks.add(pool.submit(() -> {
                while (System.nanoTime() < deadline) {
                    var response = admin().multiPart("image", "c.png", uniqueImage())
                            .multiPart("description", "concurrent").when().post("/v1/images");
                    if (response.statusCode() == 201) {
                        added.add(response.path("id"));
                    } else {
                        problems.add("add answered " + response.statusCode() + ": " + response.asString());
                    }
                }
            }));
        }
        for (int r = 0; r < 4; r++) {
            tasks.add(pool.submit(() -> {
                while (System.nanoTime() < deadline) {
                    var page = given().queryParam("size", 100).get("/v1/images");
                    int total = page.path("total");
                    List<String> ids = page.path("items.id");
                    if (ids.size() != Math.min(total, 100)) {
                        problems.add("a page of " + ids.size() + " items for a total of " + total);
                    }
                    String last = ids.get(ids.size() - 1);
                    int status = given().get("/v1/images/" + last + "/content").statusCode();
                    if (status != 200 && given().get("/v1/images/" + last).statusCode() != 404) {
                        problems.add("listed entry " + last + " has no content: " + status);
                    }
                    given().multiPart("image", "q.jpg", TestImages.knowledgeBaseImage("coffee-cup.jpg"))
                            .post("/v1/search").then().statusCode(200);
                }
            }));
        }
        for (Future<?> task : tasks) {
            task.get();
        }
        pool.shutdown();
        assertEquals(List.of(), problems);
        assertTrue(added.size() >= 4, "writers made progress: " + added.size());
        String content = jsonl();
        for (String id : added) {
            given().get("/v1/images/" + id).then().statusCode(200);
            assertTrue(content.contains("image_database/" + id + ".png"), id);
        }
        assertTrue(content.lines().allMatch(line -> line.startsWith("{") && line.endsWith("}")), "only whole lines");
    }

}
