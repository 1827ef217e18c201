package io.multimodalrag.clip;

import io.multimodalrag.config.RagConfig;
import io.multimodalrag.image.ImageDecoder;
import io.multimodalrag.image.ImageDecodingException;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Turns image bytes into L2-normalised CLIP embeddings on the {@link EncoderWorkerPool}: decode,
 * preprocess straight into a direct buffer, run the vision tower. The only caller of
 * {@link ClipModel#embedImages}.
 */
@ApplicationScoped
public class ImageEncoder {

    /**
     * Version of what the model sees for given image bytes: decoding and preprocessing. Cached
     * embeddings are keyed by it with the model, so bump it whenever a change to ImageDecoder or
     * ClipPreprocessor alters the pixels (2: libwebp-exact lossy WebP).
     */
    public static final int PIPELINE_VERSION = 2;

    private final ModelLoader models;
    private final ImageDecoder decoder;
    private final EncoderWorkerPool workers;
    /** One reusable input buffer per worker thread for single-image runs: no allocation per request. */
    private final ThreadLocal<FloatBuffer> singleImageBuffer = new ThreadLocal<>();
    private volatile ClipPreprocessor preprocessor;

    public ImageEncoder(ModelLoader models, EncoderWorkerPool workers, RagConfig config) {
        this.models = models;
        this.workers = workers;
        this.decoder = new ImageDecoder(config.image().maxPixels());
    }

    /** Embeds one uploaded file; the file is read on the worker pool. */
    public Uni<float[]> encode(Path imageFile) {
        return Uni.createFrom().item(() -> encodeNow(readFile(imageFile))).runSubscriptionOn(workers.executor());
    }

    /** Embeds one image. */
    public Uni<float[]> encode(byte[] imageBytes) {
        return Uni.createFrom().item(() -> encodeNow(imageBytes)).runSubscriptionOn(workers.executor());
    }

    private float[] encodeNow(byte[] imageBytes) {
        ClipModel model = models.require();
        BufferedImage image = decoder.decode(imageBytes);
        ClipPreprocessor pre = preprocessorFor(model);
        FloatBuffer input = reusableBuffer(pre.imageSize());
        pre.preprocess(image, input);
        input.flip();
        return model.embedImages(input, 1)[0];
    }

    /** The outcome for one image of a batch: an embedding, or why it could not be embedded. */
    public record BatchItem(Optional<float[]> embedding, Optional<String> failure) {
        static BatchItem of(float[] embedding) {
            return new BatchItem(Optional.of(embedding), Optional.empty());
        }

        static BatchItem failed(String reason) {
            return new BatchItem(Optional.empty(), Optional.of(reason));
        }
    }

    /**
     * Embeds several images in one ONNX Runtime run, decoding and preprocessing them in parallel on
     * the worker pool. Blocks the caller, which must not be the event loop. An image that cannot
     * be read or decoded fails alone; the others are embedded.
     */
    public List<BatchItem> encodeBatch(List<Path> imageFiles) {
        ClipModel model = models.require();
        ClipPreprocessor pre = preprocessorFor(model);
        int floatsPerImage = 3 * pre.imageSize() * pre.imageSize();
        FloatBuffer batch = directFloats(imageFiles.size() * floatsPerImage);

        List<CompletableFuture<String>> prepared = new ArrayList<>(imageFiles.size());
        for (int i = 0; i < imageFiles.size(); i++) {
            Path file = imageFiles.get(i);
            // Each task writes its own disjoint slice of the batch buffer.
            FloatBuffer slice = batch.duplicate().position(i * floatsPerImage).limit((i + 1) * floatsPerImage).slice();
            prepared.add(CompletableFuture.supplyAsync(() -> prepare(file, pre, slice), workers.executor()));
        }

        List<BatchItem> items = new ArrayList<>(imageFiles.size());
        List<Integer> good = new ArrayList<>();
        for (int i = 0; i < prepared.size(); i++) {
            String failure = joinQuietly(prepared.get(i));
            items.add(failure == null ? null : BatchItem.failed(failure));
            if (failure == null) {
                good.add(i);
            }
        }
        if (good.isEmpty()) {
            return items;
        }
        FloatBuffer input = compact(batch, good, floatsPerImage);
        float[][] embeddings = model.embedImages(input, good.size());
        for (int j = 0; j < good.size(); j++) {
            items.set(good.get(j), BatchItem.of(embeddings[j]));
        }
        return items;
    }

    /** Decodes and preprocesses into {@code target}; returns null on success or the reason of failure. */
    private String prepare(Path file, ClipPreprocessor pre, FloatBuffer target) {
        try {
            pre.preprocess(decoder.decode(readFile(file)), target);
            return null;
        } catch (ImageDecodingException e) {
            return e.getMessage();
        } catch (UncheckedIOException e) {
            return "cannot read the file: " + e.getCause().getMessage();
        }
    }

    private static String joinQuietly(CompletableFuture<String> future) {
        try {
            return future.join();
        } catch (CompletionException e) {
            return "could not be processed: " + e.getCause().getMessage();
        }
    }

    /** Moves the successfully prepared images to the front of the buffer so that they form one batch. */
    private static FloatBuffer compact(FloatBuffer batch, List<Integer> good, int floatsPerImage) {
        for (int j = 0; j < good.size(); j++) {
            int from = good.get(j);
            if (from != j) {
                FloatBuffer source = batch.duplicate().position(from * floatsPerImage).limit((from + 1) * floatsPerImage);
                batch.duplicate().position(j * floatsPerImage).put(source);
            }
        }
        return batch.duplicate().position(0).limit(good.size() * floatsPerImage).slice();
    }

    private ClipPreprocessor preprocessorFor(ClipModel model) {
        ClipPreprocessor current = preprocessor;
        if (current == null || current.imageSize() != model.imageSize()) {
            current = new ClipPreprocessor(model.imageSize());
            preprocessor = current;
        }
        return current;
    }

    private FloatBuffer reusableBuffer(int imageSize) {
        int floats = 3 * imageSize * imageSize;
        FloatBuffer buffer = singleImageBuffer.get();
        if (buffer == null || buffer.capacity() != floats) {
            buffer = directFloats(floats);
            singleImageBuffer.set(buffer);
        }
        return buffer.clear();
    }

    private static FloatBuffer directFloats(int count) {
        return ByteBuffer.allocateDirect(count * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    private static byte[] readFile(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
