package io.multimodalrag.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multimodalrag.clip.ImageEncoder;
import io.multimodalrag.clip.LoadStatus;
import io.multimodalrag.files.ContentHash;
import io.multimodalrag.testing.TestFiles;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Loading description.jsonl with bad lines, and reusing the embedding cache across loads. */
@QuarkusTest
@TestProfile(KnowledgeBaseLoadingTest.ScratchKnowledgeBase.class)
class KnowledgeBaseLoadingTest {

    static final Path DIR = Path.of("target", "kb-loading-test");

    /** A knowledge base in a scratch folder that each test writes. */
    public static class ScratchKnowledgeBase implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("rag.knowledge-base.descriptions", DIR.resolve("kb/description.jsonl").toString(),
                    "rag.knowledge-base.cache-dir", DIR.resolve("cache").toString(),
                    "rag.encoder.max-batch", "2");
        }
    }

    @Inject
    KnowledgeBase knowledgeBase;

    @BeforeEach
    void clean() throws IOException {
        awaitStartupLoad();
        TestFiles.deleteRecursively(DIR);
        Files.createDirectories(DIR.resolve("kb/images"));
        Files.writeString(DIR.resolve("outside.jpg"), "not in the knowledge base folder");
    }

    private void awaitStartupLoad() {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (knowledgeBase.state().status() == LoadStatus.LOADING && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
    }

    @Test
    void badLinesAreSkippedAndTheRestIsSearchable() throws IOException {
        copy("chelsea-cat.jpg", "images/cat.jpg");
        copy("coffee-cup.jpg", "images/coffee.jpg");
        copy("motorcycle.jpg", "images/motorcycle.jpg");
        Files.writeString(DIR.resolve("kb/images/notes.jpg"), "these are not pixels");
        writeLines(
                line("images/cat.jpg", "a cat"),
                "{not json",
                "{\"image_path\": \"images/coffee.jpg\"}",
                line("images/coffee.jpg", "an espresso"),
                line("images/cat.jpg", "the same cat again"),
                line("images/missing.jpg", "gone"),
                "",
                line("../outside.jpg", "escapes the folder"),
                line("images/notes.jpg", "a text file"),
                "[1, 2, 3]",
                line("images/motorcycle.jpg", "a motorcycle"));

        knowledgeBase.load();

        KnowledgeBase.State state = knowledgeBase.state();
        assertEquals(LoadStatus.READY, state.status());
        assertEquals(7, state.skipped(), "malformed, no description, duplicate, missing, outside, not an image, array");
        List<KnowledgeBaseEntry> entries = knowledgeBase.snapshot().entries();
        assertEquals(List.of("cat", "coffee", "motorcycle"), entries.stream().map(KnowledgeBaseEntry::id).toList());
        assertEquals("an espresso", entries.get(1).description());
        assertEquals(3, knowledgeBase.snapshot().matrix().rows());

        float[] coffee = knowledgeBase.snapshot().matrix().row(1);
        List<SearchHit> hits = knowledgeBase.search(coffee, 3, -1f);
        assertEquals("coffee", hits.get(0).entry().id());
        assertTrue(hits.get(0).score() > 0.9999f);
    }

    @Test
    void aReloadEmbedsOnlyNewOrChangedImages() throws IOException {
        copy("chelsea-cat.jpg", "images/cat.jpg");
        copy("coffee-cup.jpg", "images/coffee.jpg");
        copy("motorcycle.jpg", "images/motorcycle.jpg");
        writeLines(line("images/cat.jpg", "a cat"), line("images/coffee.jpg", "an espresso"),
                line("images/motorcycle.jpg", "a motorcycle"));

        knowledgeBase.load();
        assertEquals(3, knowledgeBase.state().embedded());
        float[] catBefore = knowledgeBase.snapshot().matrix().row(0);

        knowledgeBase.load();
        assertEquals(0, knowledgeBase.state().embedded(), "everything should come from the cache");
        assertEquals(3, knowledgeBase.snapshot().entries().size());
        org.junit.jupiter.api.Assertions.assertArrayEquals(catBefore, knowledgeBase.snapshot().matrix().row(0));

        copy("gas-cylinder.jpg", "images/coffee.jpg");
        copy("light-bulb.jpg", "images/bulb.jpg");
        writeLines(line("images/cat.jpg", "a cat"), line("images/coffee.jpg", "now a gas cylinder"),
                line("images/motorcycle.jpg", "a motorcycle"), line("images/bulb.jpg", "a light bulb"));
        knowledgeBase.load();
        assertEquals(2, knowledgeBase.state().embedded(), "the changed and the new image");
        assertEquals(4, knowledgeBase.snapshot().entries().size());
    }

    @Test
    void embeddingsAreKeptUnderTheVisionTowersHashAndThePipelineVersion() throws IOException {
        copy("chelsea-cat.jpg", "images/cat.jpg");
        writeLines(line("images/cat.jpg", "a cat"));

        knowledgeBase.load();
        knowledgeBase.load();

        // The same fingerprint as every release since the pipeline version was added: caches made before stay valid.
        Path vision = Path.of("src/test/resources/clip-tiny/vision_model.onnx");
        String fingerprint = ContentHash.contentHash((ContentHash.contentHash(vision) + "/pipeline-"
                + ImageEncoder.PIPELINE_VERSION).getBytes(StandardCharsets.UTF_8));
        assertTrue(Files.isRegularFile(DIR.resolve("cache/embeddings-" + fingerprint.substring(0, 16) + ".bin")));
        assertEquals(0, knowledgeBase.state().embedded());
    }

    @Test
    void aMissingFileIsNotAnEmptyKnowledgeBase() {
        knowledgeBase.load();
        KnowledgeBase.State state = knowledgeBase.state();
        assertEquals(LoadStatus.FAILED, state.status());
        assertTrue(state.retryable());
        assertTrue(state.reason().contains("no knowledge base file " + Path.of("target/kb-loading-test/kb/description.jsonl")
                .toAbsolutePath() + " (rag.knowledge-base.descriptions="), state.reason());
        KnowledgeBaseUnavailableException refused = assertThrows(KnowledgeBaseUnavailableException.class,
                () -> knowledgeBase.search(new float[knowledgeBase.snapshot().matrix().dimensions()], 2, -1f));
        assertTrue(refused.getMessage().contains("not loaded"), refused.getMessage());
    }

    @Test
    void anEmptyFileWithNoImagesIsAnEmptyKnowledgeBase() throws IOException {
        writeLines();
        knowledgeBase.load();
        assertEquals(LoadStatus.READY, knowledgeBase.state().status());
        assertEquals(0, knowledgeBase.snapshot().entries().size());
    }

    @Test
    void aFileMissingDuringAReloadChangesNothingAndLosesNothing() throws IOException {
        String stored = storedKnowledgeBase();
        Path jsonl = DIR.resolve("kb/description.jsonl");
        Path aside = DIR.resolve("description.jsonl.syncing");
        Files.move(jsonl, aside);

        KnowledgeBaseUnavailableException refused = assertThrows(KnowledgeBaseUnavailableException.class,
                knowledgeBase::reload);
        assertTrue(refused.getMessage().contains("nothing changed"), refused.getMessage());
        assertEquals(LoadStatus.READY, knowledgeBase.state().status(), "still serving what it had");
        assertEquals(3, knowledgeBase.snapshot().entries().size());
        assertEquals(3, knowledgeBase.search(knowledgeBase.snapshot().matrix().row(0), 3, -1f).size());
        assertTrue(Files.exists(DIR.resolve("kb/images").resolve(stored)), "the stored image stays where it is");
        assertFalse(Files.exists(jsonl), "no file is made up in its place");

        knowledgeBase.load(); // a start-up while it is missing
        assertEquals(LoadStatus.FAILED, knowledgeBase.state().status());
        assertTrue(Files.exists(DIR.resolve("kb/images").resolve(stored)));

        Files.move(aside, jsonl);
        knowledgeBase.load();
        assertEquals(LoadStatus.READY, knowledgeBase.state().status());
        assertEquals(3, knowledgeBase.snapshot().entries().size());
        assertEquals(0, knowledgeBase.state().embedded(), "every embedding is still cached");
    }

    @Test
    void aCatalogueThatLooksEmptyByAccidentIsRefused() throws IOException {
        storedKnowledgeBase();
        Path images = DIR.resolve("kb/images");
        Path unmounted = DIR.resolve("kb/images-unmounted");

        // Every line's image gone at once: the images' volume is not there.
        Files.move(images, unmounted);
        assertThrows(KnowledgeBaseUnavailableException.class, knowledgeBase::reload);
        assertEquals(3, knowledgeBase.snapshot().entries().size());
        Files.move(unmounted, images);

        // An emptied file beside the images it used to list.
        Path jsonl = DIR.resolve("kb/description.jsonl");
        String lines = Files.readString(jsonl);
        Files.writeString(jsonl, "");
        KnowledgeBaseUnavailableException emptied = assertThrows(KnowledgeBaseUnavailableException.class,
                knowledgeBase::reload);
        assertTrue(emptied.getMessage().contains("lists no entries, but"), emptied.getMessage());
        // A file replaced by something that is not JSON Lines.
        Files.writeString(jsonl, "<html>502 Bad Gateway</html>\n");
        assertThrows(KnowledgeBaseUnavailableException.class, knowledgeBase::reload);
        try (var files = Files.list(images)) {
            assertEquals(3, files.filter(Files::isRegularFile).count(), "nothing moved aside");
        }

        Files.writeString(jsonl, lines);
        knowledgeBase.reload();
        assertEquals(3, knowledgeBase.snapshot().entries().size());
        assertEquals(0, knowledgeBase.state().embedded());
    }

    @Test
    void anImageMissingForAMomentKeepsItsCachedEmbedding() throws IOException {
        storedKnowledgeBase();
        Path coffee = DIR.resolve("kb/images/coffee.jpg");
        Path aside = DIR.resolve("coffee.jpg");
        Files.move(coffee, aside);
        knowledgeBase.reload();
        assertEquals(2, knowledgeBase.snapshot().entries().size(), "its line is skipped while it is missing");
        Files.move(aside, coffee);
        knowledgeBase.reload();
        assertEquals(3, knowledgeBase.snapshot().entries().size());
        assertEquals(0, knowledgeBase.state().embedded(), "its embedding was kept");
    }

    @Test
    void aStoredImageNamedOnlyByABrokenLineIsNotMovedAside() throws IOException {
        String stored = storedKnowledgeBase();
        Path jsonl = DIR.resolve("kb/description.jsonl");
        String lines = Files.readString(jsonl);
        // The stored image's line damaged in the middle of the file, by hand or by a tool.
        Files.writeString(jsonl, lines.replace("{\"image_path\": \"images/" + stored, "{\"image_path\" \"images/" + stored));
        knowledgeBase.reload();
        assertEquals(2, knowledgeBase.snapshot().entries().size());
        assertTrue(Files.exists(DIR.resolve("kb/images").resolve(stored)), "a line still names it");
        assertFalse(Files.exists(DIR.resolve("kb/images/.orphaned").resolve(stored)));
    }

    @Test
    void anUnusableEmbeddingCacheSlowsLoadingButNeverFailsIt() throws IOException {
        copy("chelsea-cat.jpg", "images/cat.jpg");
        copy("coffee-cup.jpg", "images/coffee.jpg");
        writeLines(line("images/cat.jpg", "a cat"), line("images/coffee.jpg", "an espresso"));
        Files.writeString(DIR.resolve("cache"), "a file where the cache folder should be");

        knowledgeBase.load();
        assertEquals(LoadStatus.READY, knowledgeBase.state().status());
        assertEquals(2, knowledgeBase.snapshot().entries().size());
        assertEquals(2, knowledgeBase.state().embedded());
        assertTrue(knowledgeBase.storeWarnings().containsKey("embeddingCache"));
        assertEquals("coffee", knowledgeBase.search(knowledgeBase.snapshot().matrix().row(1), 1, -1f).get(0).entry().id());

        Files.delete(DIR.resolve("cache")); // room again
        knowledgeBase.reload();
        assertTrue(knowledgeBase.storeWarnings().isEmpty(), knowledgeBase.storeWarnings().toString());
        knowledgeBase.load();
        assertEquals(0, knowledgeBase.state().embedded(), "cached once the folder could be written");
    }

    /**
     * Three entries, one of them under a stored (content-derived) name, loaded and cached.
     *
     * @return the stored image's file name
     */
    private String storedKnowledgeBase() throws IOException {
        String stored = "0123456789abcdef.jpg";
        copy("chelsea-cat.jpg", "images/cat.jpg");
        copy("coffee-cup.jpg", "images/coffee.jpg");
        copy("motorcycle.jpg", "images/" + stored);
        writeLines(line("images/cat.jpg", "a cat"), line("images/coffee.jpg", "an espresso"),
                line("images/" + stored, "a motorcycle"));
        knowledgeBase.load();
        assertEquals(LoadStatus.READY, knowledgeBase.state().status());
        assertEquals(3, knowledgeBase.snapshot().entries().size());
        return stored;
    }

    private static String line(String path, String description) {
        return "{\"image_path\": \"" + path + "\", \"description\": \"" + description + "\"}";
    }

    private static void writeLines(String... lines) throws IOException {
        Files.writeString(DIR.resolve("kb/description.jsonl"), lines.length == 0 ? "" : String.join("\n", lines) + "\n",
                StandardCharsets.UTF_8);
    }

    private static void copy(String demoImage, String target) throws IOException {
        Files.copy(Path.of("image_database", demoImage), DIR.resolve("kb").resolve(target),
                StandardCopyOption.REPLACE_EXISTING);
    }
}
