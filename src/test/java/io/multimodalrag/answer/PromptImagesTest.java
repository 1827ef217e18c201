package io.multimodalrag.answer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multimodalrag.image.ImageDecoder;
import io.multimodalrag.image.ImageDecodingException;
import io.multimodalrag.files.ContentHash;
import io.multimodalrag.search.KnowledgeBaseEntry;
import io.multimodalrag.search.KnowledgeBaseStorageException;
import io.multimodalrag.search.SearchHit;
import io.multimodalrag.testing.TestResources;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each knowledge-base image is prepared once, then served from memory: no read from the store per question; the photo
 * is made from the pixels its embedding decoded.
 */
class PromptImagesTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final byte[] COFFEE = TestResources.bytes("images/coffee.jpg");
    private static final byte[] CAT = TestResources.bytes("images/chelsea_small.png");
    private static final byte[] PHOTO = TestResources.bytes("images/edge/orientation_1.jpg");

    private final ExecutorService worker = Executors.newFixedThreadPool(2);
    private final ImageDecoder decoder = new ImageDecoder(50_000_000);
    private final Map<String, Integer> reads = new ConcurrentHashMap<>();
    private final AtomicBoolean storeDown = new AtomicBoolean();

    @AfterEach
    void stop() {
        worker.shutdownNow();
    }

    private static SearchHit hit(String id, byte[] image) {
        return new SearchHit(new KnowledgeBaseEntry(id, id + ".img", "about " + id, ContentHash.contentHash(image),
                ImageDecoder.mimeType(image).orElseThrow(), null), 0.5f);
    }

    /** The store: counts reads by entry, fails them all while {@link #storeDown}. */
    private Function<KnowledgeBaseEntry, byte[]> store(Map<String, byte[]> images) {
        return entry -> {
            reads.merge(entry.id(), 1, Integer::sum);
            if (storeDown.get()) {
                throw new KnowledgeBaseStorageException("the database cannot be reached", null, true);
            }
            return images.get(entry.id());
        };
    }

    private PromptImages images(long cacheChars) {
        return new PromptImages(store(Map.of("coffee", COFFEE, "cat", CAT)), decoder, 256, cacheChars, worker);
    }

    @Test
    void eachImageIsReadAndPreparedOnceAndServedWhileTheStoreIsDown() {
        PromptImages images = images(64 << 20);
        List<SearchHit> hits = List.of(hit("coffee", COFFEE), hit("cat", CAT));
        PromptImages.ForRequest first = images.forRequest(images.photo(PHOTO), hits).await().atMost(WAIT);
        assertEquals(Map.of("coffee", 1, "cat", 1), reads);

        storeDown.set(true);
        PromptImages.ForRequest second = images.forRequest(images.photo(PHOTO), hits).await().atMost(WAIT);
        assertEquals(Map.of("coffee", 1, "cat", 1), reads, "nothing read again, the store is not asked");
        for (int i = 0; i < hits.size(); i++) {
            assertSame(first.references().get(i).image(), second.references().get(i).image());
            assertEquals(hits.get(i), second.references().get(i).hit());
        }
        assertEquals(256, Math.max(second.references().get(0).image().width(), second.references().get(0).image().height()));
        assertEquals("image/jpeg", second.photo().mediaType());
    }

    @Test
    void aFailedPreparationIsNotKept() {
        PromptImages images = images(64 << 20);
        storeDown.set(true);
        KnowledgeBaseStorageException down = assertThrows(KnowledgeBaseStorageException.class,
                () -> images.forRequest(images.photo(PHOTO), List.of(hit("coffee", COFFEE))).await().atMost(WAIT));
        assertTrue(down.getMessage().contains("cannot be reached"), down.getMessage());

        storeDown.set(false);
        PromptImages.ForRequest ready = images.forRequest(images.photo(PHOTO), List.of(hit("coffee", COFFEE))).await().atMost(WAIT);
        assertEquals("image/jpeg", ready.references().get(0).image().mediaType());
        assertEquals(2, reads.get("coffee"));
    }

    @Test
    void withNoRoomEveryQuestionReadsItsImagesAgain() {
        PromptImages images = images(0);
        List<SearchHit> hits = List.of(hit("cat", CAT));
        images.forRequest(images.photo(PHOTO), hits).await().atMost(WAIT);
        images.forRequest(images.photo(PHOTO), hits).await().atMost(WAIT);
        assertEquals(2, reads.get("cat"));
    }

    @Test
    void aReferenceThatIsThePhotoItselfIsNeitherReadNorPrepared() {
        PromptImages images = images(64 << 20);
        PromptImages.ForRequest ready = images
                .forRequest(images.photo(COFFEE), List.of(hit("coffee", COFFEE), hit("cat", CAT))).await().atMost(WAIT);
        assertTrue(ready.references().get(0).isThePhoto());
        assertFalse(ready.references().get(1).isThePhoto());
        assertEquals(Map.of("cat", 1), reads);
    }

    @ParameterizedTest
    @ValueSource(strings = {"images/coffee.jpg", "images/edge/orientation_6.jpg", "images/edge/bmp24.bmp"})
    void thePhotoIsMadeFromThePixelsItsEmbeddingDecodedNotDecodedAgain(String resource) {
        byte[] bytes = TestResources.bytes(resource);
        // This decoder refuses every image: the photo's prompt image can only come from the pixels handed on.
        PromptImages refusing = new PromptImages(store(Map.of()), new ImageDecoder(1), 256, 64 << 20, worker);
        PromptImages.Photo photo = refusing.photo(bytes);
        BufferedImage decoded = decoder.decode(bytes);
        photo.accept(decoded);
        // The encoder reuses its pixel array for the next image: what the photo kept must be its own.
        Graphics2D g = decoded.createGraphics();
        g.fillRect(0, 0, decoded.getWidth(), decoded.getHeight());
        g.dispose();

        PromptImage sent = refusing.forRequest(photo, List.of()).await().atMost(WAIT).photo();
        assertEquals(PromptImage.of(bytes, decoder, 256), sent, "the same image as one decoded for the prompt");

        // Without pixels handed on (nothing decoded it yet), the photo is decoded for the prompt.
        assertThrows(ImageDecodingException.class,
                () -> refusing.forRequest(refusing.photo(bytes), List.of()).await().atMost(WAIT));
    }

    @Test
    void aNegativeSizeIsRefusedNamingTheSetting() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> images(-1));
        assertTrue(e.getMessage().contains("rag.llm.prompt-image-cache-size"), e.getMessage());
    }
}
