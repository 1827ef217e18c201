package io.multimodalrag.answer;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.multimodalrag.image.ImageDecoder;
import io.multimodalrag.files.ContentHash;
import io.multimodalrag.search.KnowledgeBaseEntry;
import io.multimodalrag.search.SearchHit;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The images of one request: the user's photo, prepared for this question from the pixels its embedding decoded
 * ({@link Photo}), and each reference's, prepared once per content and kept in a Caffeine cache weighed in data-URL
 * characters ({@code rag.llm.prompt-image-cache-size}), so that a question grounded in kept images reads nothing from
 * the store and decodes nothing but its photo, once. Concurrent questions needing the same image share one
 * preparation; a failed one is not kept. References are prepared one after another, so a question holds at most one
 * decoded reference at a time. The work runs on {@code worker}, never on the caller's thread.
 */
final class PromptImages {

    /** The photo's image and the references', in the order of the hits. */
    record ForRequest(PromptImage photo, List<PromptBuilder.Reference> references) {
    }

    private final Function<KnowledgeBaseEntry, byte[]> storedImage;
    private final ImageDecoder decoder;
    private final int maxSide;
    private final Executor worker;
    /** Null when {@code rag.llm.prompt-image-cache-size} is 0. */
    private final AsyncCache<String, PromptImage> prepared;

    /**
     * @param storedImage an entry's image bytes, from its store (blocking)
     * @param maxSide     {@code rag.llm.image-max-side}
     * @param cacheChars  {@code rag.llm.prompt-image-cache-size}: the most data-URL characters kept
     */
    PromptImages(Function<KnowledgeBaseEntry, byte[]> storedImage, ImageDecoder decoder, int maxSide, long cacheChars,
            Executor worker) {
        if (cacheChars < 0) {
            throw new IllegalArgumentException("rag.llm.prompt-image-cache-size must not be negative but was "
                    + cacheChars + "; the default is 64M, 0 keeps no image");
        }
        this.storedImage = storedImage;
        this.decoder = decoder;
        this.maxSide = maxSide;
        this.worker = worker;
        // Caffeine evicts after the fact, on another thread: with no room at all, nothing is put in.
        this.prepared = cacheChars == 0 ? null : Caffeine.newBuilder()
                .maximumWeight(cacheChars)
                .weigher((String hash, PromptImage image) -> image.dataUrl().length())
                .buildAsync();
    }

    /**
     * The user's photo on its way into the prompt. Handed to the encoder as the consumer of its decoded pixels, it
     * keeps what the prompt needs of them (nothing when the photo goes as it is, else a downscaled copy), so that the
     * photo is decoded once, for its embedding. When no pixels were handed on, {@link #forRequest} decodes it itself.
     */
    static final class Photo implements Consumer<BufferedImage> {
        private final byte[] bytes;
        private final int maxSide;
        private volatile boolean decoded;
        private volatile int width;
        private volatile int height;
        private volatile BufferedImage pixelsToSend;

        private Photo(byte[] bytes, int maxSide) {
            this.bytes = bytes;
            this.maxSide = maxSide;
        }

        byte[] bytes() {
            return bytes;
        }

        /** Called on the encoder's thread with pixels that are valid only during the call. */
        @Override
        public void accept(BufferedImage upright) {
            pixelsToSend = PromptImage.pixelsToSend(bytes, upright, maxSide, true);
            width = upright.getWidth();
            height = upright.getHeight();
            decoded = true;
        }
    }

    /** The photo of a question, ready to be handed to the encoder. */
    Photo photo(byte[] bytes) {
        return new Photo(bytes, maxSide);
    }

    /**
     * The images for a question about {@code photo} grounded in {@code hits}. A reference that is the photo itself
     * (the same content) is named in the prompt, its image not prepared or sent a second time.
     */
    Uni<ForRequest> forRequest(Photo photo, List<SearchHit> hits) {
        return Uni.createFrom().item(() -> photo.decoded
                        ? PromptImage.of(photo.bytes, photo.pixelsToSend, photo.width, photo.height)
                        : PromptImage.of(photo.bytes, decoder, maxSide))
                .runSubscriptionOn(worker)
                .chain(photoImage -> {
                    String photoHash = ContentHash.contentHash(photo.bytes);
                    return Multi.createFrom().iterable(hits)
                            .onItem().transformToUniAndConcatenate(hit -> hit.entry().contentHash().equals(photoHash)
                                    ? Uni.createFrom().item(PromptBuilder.Reference.thePhotoItself(hit))
                                    : reference(hit.entry()).map(image -> new PromptBuilder.Reference(hit, image)))
                            .collect().asList()
                            .map(references -> new ForRequest(photoImage, references));
                });
    }

    /** The entry's image, from the cache or read and prepared now. */
    private Uni<PromptImage> reference(KnowledgeBaseEntry entry) {
        if (prepared == null) {
            return Uni.createFrom().item(() -> prepare(entry)).runSubscriptionOn(worker);
        }
        return Uni.createFrom().deferred(() -> {
            CompletableFuture<PromptImage> image = prepared.get(entry.contentHash(),
                    (hash, cacheExecutor) -> CompletableFuture.supplyAsync(() -> prepare(entry), worker));
            // Caffeine drops a failed one too, but later: the next question must not be given the same failure.
            return Uni.createFrom().completionStage(image)
                    .onFailure().invoke(() -> prepared.asMap().remove(entry.contentHash(), image));
        });
    }

    private PromptImage prepare(KnowledgeBaseEntry entry) {
        return PromptImage.of(storedImage.apply(entry), decoder, maxSide);
    }
}
