package io.multimodalrag.clip;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.multimodalrag.config.RagConfig;
import io.multimodalrag.files.ContentHash;
import io.multimodalrag.image.ImageDecoder;
import io.multimodalrag.image.ImageDecodingException;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Turns image bytes into L2-normalised CLIP embeddings on the {@link EncoderWorkerPool}: decode,
 * preprocess straight into a slot of a direct batch buffer, run the vision tower. Single requests
 * go through an {@link ImageBatchQueue} that coalesces concurrent ones into one run; the
 * knowledge-base load embeds whole batches with {@link #encodeBatch}. The only caller of
 * {@link VisionTower#embed}.
 */
@ApplicationScoped
public class ImageEncoder {

    /**
     * Version of what the model sees for given image bytes: decoding and preprocessing. Cached
     * embeddings are keyed by it with the model, so bump it whenever a change to ImageDecoder or
     * ClipPreprocessor alters the pixels (2: libwebp-exact lossy WebP).
     */
    public static final int PIPELINE_VERSION = 2;

    /** Decoded JPEG pixels, kept per thread up to 8 MB (two megapixels). */
    private static final ThreadScratch PIXELS = new ThreadScratch(2 << 20);

    private final ModelLoader models;
    private final ImageDecoder decoder;
    private final EncoderWorkerPool workers;
    private final int maxBatch;
    private final long maxWaitNanos;
    private final int queueSize;
    private final Timer decodeTimer;
    private final Timer preprocessTimer;
    private final Timer inferenceTimer;
    private final DistributionSummary batchSizes;
    private final Counter rejections;
    private final Tracer tracer;
    private volatile ClipPreprocessor preprocessor;
    /** Created for the loaded model on first use; guarded by {@code this} when created or closed. */
    private volatile ModelQueue queue;

    public ImageEncoder(ModelLoader models, EncoderWorkerPool workers, RagConfig config, MeterRegistry registry,
            Tracer tracer) {
        this.models = models;
        this.tracer = tracer;
        this.workers = workers;
        this.decoder = new ImageDecoder(config.image().maxPixels());
        this.maxBatch = Math.max(1, config.encoder().maxBatch());
        this.maxWaitNanos = config.encoder().maxWait().toNanos();
        this.queueSize = config.encoder().queueSize();
        // Where an image's time goes, for operators sizing the pool and comparing variants: decode and
        // preprocess per image (worker pool), one vision-tower run per batch (any batch size).
        this.decodeTimer = Timer.builder("rag.image.decode")
                .description("Decoding one uploaded or stored image")
                .register(registry);
        this.preprocessTimer = Timer.builder("rag.image.preprocess")
                .description("Resizing, cropping and normalising one decoded image into the model's input").register(registry);
        this.inferenceTimer = Timer.builder("rag.encoder.inference")
                .description("One vision-tower run over a batch of images").register(registry);
        this.batchSizes = DistributionSummary.builder("rag.encoder.batch.size")
                .description("Images per vision-tower run").register(registry);
        Gauge.builder("rag.encoder.queue.depth", this, ImageEncoder::depth)
                .description("Images submitted and not yet run by the vision tower (being prepared, or queued)")
                .register(registry);
        this.rejections = Counter.builder("rag.encoder.rejections")
                .description("Images refused with 503 because the encoder's queue was full (rag.encoder.queue-size)")
                .register(registry);
    }

    /**
     * Embeds one image. Concurrent requests are coalesced into one vision-tower run
     * ({@link ImageBatchQueue}); a full queue fails the Uni with a
     * {@link java.util.concurrent.RejectedExecutionException} (503).
     */
    public Uni<float[]> encode(byte[] imageBytes) {
        return encode(imageBytes, null);
    }

    /**
     * As {@link #encode(byte[])}, and hands the decoded image, upright and opaque, to {@code alsoDecoded} on the
     * worker thread as soon as it is decoded, before it is preprocessed: a caller that needs the picture for more
     * than its embedding does not decode it a second time. The image is valid only during the call (its pixels may
     * be reused for the next image), so the consumer copies what it keeps. It is not called when decoding fails;
     * what it throws fails the embedding.
     */
    public Uni<float[]> encode(byte[] imageBytes, Consumer<BufferedImage> alsoDecoded) {
        // The caller's trace: the pool's threads know nothing of it, so each stage's span names it as its parent.
        Upload upload = new Upload(imageBytes, alsoDecoded, Context.current());
        return Uni.createFrom().completionStage(() -> {
            try {
                return queue().submit(upload);
            } catch (RejectedExecutionException e) {
                rejections.increment();
                throw e;
            }
        });
    }

    private double depth() {
        ModelQueue current = queue;
        return current == null ? 0 : current.batches().depth();
    }

    /**
     * One image submitted to the batch queue, who else wants its decoded pixels (or null), the trace it belongs to
     * (null for none), and, once prepared, the span of its wait for a vision-tower run.
     */
    private static final class Upload {
        final byte[] bytes;
        final Consumer<BufferedImage> alsoDecoded;
        final Context trace;
        volatile Span queued;

        Upload(byte[] bytes, Consumer<BufferedImage> alsoDecoded, Context trace) {
            this.bytes = bytes;
            this.alsoDecoded = alsoDecoded;
            this.trace = trace;
        }
    }

    /**
     * What embeddings of {@code model}'s vision tower made by this pipeline are kept under: the tower's content hash
     * and {@link #PIPELINE_VERSION}, so that embeddings made by other weights or from other pixels are never reused.
     */
    public static String embeddingFingerprint(ClipModel model) {
        return ContentHash.contentHash((model.visionWeights() + "/pipeline-" + PIPELINE_VERSION)
                .getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The media type of an image this encoder can embed, from the file's first bytes (32 are plenty): image/jpeg,
     * image/png, image/webp, image/gif or image/bmp; empty for anything else. The knowledge base stores it with each
     * image, so that it never looks at image formats itself.
     */
    public static Optional<String> mediaType(byte[] headBytes) {
        return ImageDecoder.mimeType(headBytes);
    }

    /** The batch queue of the loaded model, or a {@link ModelUnavailableException}. */
    private ImageBatchQueue queue() {
        ClipModel model = models.require();
        ModelQueue current = queue;
        if (current == null || current.model() != model) {
            synchronized (this) {
                current = queue;
                if (current == null || current.model() != model) {
                    if (current != null) {
                        current.batches().close();
                    }
                    ClipPreprocessor pre = preprocessorFor(model);
                    int floatsPerImage = 3 * pre.imageSize() * pre.imageSize();
                    ImageBatchQueue<Upload> batches = new ImageBatchQueue<>(
                            (upload, slot, helper) -> prepare(upload, pre, slot, helper),
                            (pixels, uploads) -> embed(model, pixels, uploads.size(), uploads),
                            workers.executor(), floatsPerImage, maxBatch, maxWaitNanos, queueSize);
                    current = new ModelQueue(model, batches);
                    queue = current;
                }
            }
        }
        return current.batches();
    }

    /**
     * Decodes and preprocesses one image into {@code slot}, timing and tracing each stage: decoded into this thread's
     * reusable array for a JPEG, handed to {@code alsoDecoded} (when not null), then preprocessed, {@code helper}
     * taking half of the resize ({@link RangeSplit}). Its wait for a run is traced from here.
     */
    private void prepare(Upload upload, ClipPreprocessor pre, FloatBuffer slot, Executor helper) {
        Span decoding = span("rag.image.decode", upload.trace).setAttribute("rag.image.bytes", upload.bytes.length);
        long start = System.nanoTime();
        BufferedImage image;
        try {
            image = decoder.decode(upload.bytes, PIXELS::atLeast);
            decoding.setAttribute("rag.image.width", image.getWidth()).setAttribute("rag.image.height", image.getHeight());
            if (upload.alsoDecoded != null) {
                upload.alsoDecoded.accept(image);
            }
        } catch (RuntimeException e) {
            throw failed(decoding, e);
        } finally {
            decodeTimer.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
            decoding.end();
        }
        Span preprocessing = span("rag.image.preprocess", upload.trace);
        long decoded = System.nanoTime();
        try {
            pre.preprocess(image, slot, helper);
        } catch (RuntimeException e) {
            throw failed(preprocessing, e);
        } finally {
            preprocessTimer.record(System.nanoTime() - decoded, TimeUnit.NANOSECONDS);
            preprocessing.end();
        }
        upload.queued = span("rag.encoder.queue", upload.trace);
    }

    /**
     * One vision-tower run over {@code batch} images, timed, and traced with the batch's size in the trace of each of
     * {@code traced} (the uploads of a request; none for the knowledge base's own images).
     */
    private float[][] embed(ClipModel model, FloatBuffer pixels, int batch, List<Upload> traced) {
        List<Span> runs = new ArrayList<>(traced.size());
        for (Upload upload : traced) {
            Span queued = upload.queued;
            if (queued != null) {
                queued.end();
            }
            runs.add(span("rag.encoder.inference", upload.trace).setAttribute("rag.encoder.batch.size", batch));
        }
        long start = System.nanoTime();
        try {
            float[][] embeddings = model.vision().embed(pixels, batch);
            inferenceTimer.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
            batchSizes.record(batch);
            return embeddings;
        } catch (RuntimeException e) {
            runs.forEach(run -> failed(run, e));
            throw e;
        } finally {
            runs.forEach(Span::end);
        }
    }

    /** A span of {@code trace} starting now; one that records nothing without a trace. */
    private Span span(String name, Context trace) {
        return trace == null ? Span.getInvalid() : tracer.spanBuilder(name).setParent(trace).startSpan();
    }

    /** Marks {@code span} as failed by {@code e} (its type, never its message, which may hold data); returns it. */
    static RuntimeException failed(Span span, RuntimeException e) {
        span.setStatus(StatusCode.ERROR, e.getClass().getSimpleName());
        return e;
    }

    private record ModelQueue(ClipModel model, ImageBatchQueue batches) {
    }

    @PreDestroy
    synchronized void close() {
        ModelQueue current = queue;
        if (current != null) {
            current.batches().close();
        }
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
        return encodeImages(imageFiles.stream().map(file -> (ImageSource) () -> Files.readAllBytes(file)).toList());
    }

    /** Where a batch's image comes from: a file, bytes read from a database. */
    @FunctionalInterface
    public interface ImageSource {
        byte[] read() throws IOException;
    }

    /** {@link #encodeBatch}, for images from anywhere. */
    public List<BatchItem> encodeImages(List<ImageSource> imageFiles) {
        ClipModel model = models.require();
        ClipPreprocessor pre = preprocessorFor(model);
        int floatsPerImage = 3 * pre.imageSize() * pre.imageSize();
        FloatBuffer batch = directFloats(imageFiles.size() * floatsPerImage);

        List<CompletableFuture<String>> prepared = new ArrayList<>(imageFiles.size());
        for (int i = 0; i < imageFiles.size(); i++) {
            ImageSource file = imageFiles.get(i);
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
        FloatBuffer input = ImageBatchQueue.compact(batch, floatsPerImage, good);
        float[][] embeddings = embed(model, input, good.size(), List.of());
        for (int j = 0; j < good.size(); j++) {
            items.set(good.get(j), BatchItem.of(embeddings[j]));
        }
        return items;
    }

    /** Decodes and preprocesses into {@code target}; returns null on success or the reason of failure. */
    private String prepare(ImageSource file, ClipPreprocessor pre, FloatBuffer target) {
        try {
            // The knowledge base's own images, at load or import: no request's trace to add spans to.
            prepare(new Upload(file.read(), null, null), pre, target, RangeSplit.SEQUENTIAL);
            return null;
        } catch (ImageDecodingException e) {
            return e.getMessage();
        } catch (IOException e) {
            return "cannot read the file: " + e.getMessage();
        }
    }

    private static String joinQuietly(CompletableFuture<String> future) {
        try {
            return future.join();
        } catch (CompletionException e) {
            return "could not be processed: " + e.getCause().getMessage();
        }
    }

    private ClipPreprocessor preprocessorFor(ClipModel model) {
        ClipPreprocessor current = preprocessor;
        if (current == null || current.imageSize() != model.imageSize()) {
            current = new ClipPreprocessor(model.imageSize());
            preprocessor = current;
        }
        return current;
    }

    private static FloatBuffer directFloats(int count) {
        return ByteBuffer.allocateDirect(count * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }
}
