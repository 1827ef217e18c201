package io.multimodalrag.clip;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.jboss.logging.Logger;

/**
 * Coalesces concurrent single-image encode requests into one vision-tower run.
 *
 * <p>A request joins the open <em>group</em>: it is given the next slot of the group's direct
 * batch buffer, and its image is read, decoded and preprocessed on the worker pool straight into
 * that slot, in parallel with its group-mates. One inference thread seals the open group when all
 * its images are prepared and either the group is full, {@code maxWait} has passed since the group
 * opened, or the previous run held a single image (no concurrent load: no waiting at all), then
 * runs the group's slots as one batch. Two groups alternate, so the next group is filled and
 * prepared while the previous one runs; requests that find the open group full wait in a bounded
 * queue ({@code queueSize}, beyond which they are rejected at once).
 *
 * <p>An image admitted while nothing else is prepared, queued or run (a lone request: concurrency 1) is prepared
 * with the worker pool as its {@link RangeSplit} helper, so that the otherwise idle cores share its resize; under
 * load each image is prepared on one thread, and the pool's threads work on different images.
 *
 * <p>An image that cannot be read or decoded fails only its own request; its slot is dropped from
 * the batch. A slow image delays its group-mates (the group runs when its last image is ready) but
 * never fails them. An ONNX Runtime failure fails the requests of that run.
 */
final class ImageBatchQueue<T> implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ImageBatchQueue.class);

    /**
     * Decodes and preprocesses one submitted image into {@code slot} (one image's floats, from position 0), offering
     * halves of its longest loops to {@code helper} ({@link RangeSplit}).
     */
    @FunctionalInterface
    interface Preparation<T> {
        void prepare(T image, FloatBuffer slot, Executor helper);
    }

    /** Runs the vision tower on the {@code images.size()} images laid out from position 0 of {@code pixels}. */
    @FunctionalInterface
    interface Inference<T> {
        float[][] embed(FloatBuffer pixels, List<T> images);
    }

    private final Preparation<T> preparation;
    private final Inference<T> inference;
    private final Executor workers;
    private final int floatsPerImage;
    private final int maxBatch;
    private final long maxWaitNanos;
    private final int queueSize;
    private final Thread inferenceThread;

    // All below guarded by lock.
    private final Object lock = new Object();
    private final ArrayDeque<Request> waiting = new ArrayDeque<>();
    private Group open;
    private Group free;
    private int lastBatchSize;
    /** From sealing a group until its images have been run (or found all failed). */
    private boolean running;
    private boolean closed;

    /**
     * @param floatsPerImage {@code 3 × S × S}
     * @param workers        where images are read, decoded and preprocessed (and results handed back)
     */
    ImageBatchQueue(Preparation<T> preparation, Inference<T> inference, Executor workers, int floatsPerImage, int maxBatch,
            long maxWaitNanos, int queueSize) {
        this.preparation = preparation;
        this.inference = inference;
        this.workers = workers;
        this.floatsPerImage = floatsPerImage;
        this.maxBatch = Math.max(1, maxBatch);
        this.maxWaitNanos = Math.max(0, maxWaitNanos);
        this.queueSize = Math.max(0, queueSize);
        this.open = new Group(this.maxBatch, floatsPerImage);
        this.free = new Group(this.maxBatch, floatsPerImage);
        this.inferenceThread = new Thread(this::runGroups, "clip-inference");
        inferenceThread.setDaemon(true);
        inferenceThread.start();
    }

    /**
     * Queues one image, decoded and preprocessed on the worker pool.
     *
     * @return the L2-normalised embedding, or the image's own failure ({@code ImageDecodingException}), or the
     *         run's failure
     * @throws RejectedExecutionException when the queue is full or closed
     */
    CompletableFuture<float[]> submit(T image) {
        Request request = new Request(image);
        synchronized (lock) {
            if (closed) {
                throw new RejectedExecutionException("the image encoder is shutting down");
            }
            if (waiting.isEmpty() && open.members.size() < maxBatch) {
                admit(request);
            } else if (waiting.size() < queueSize) {
                waiting.add(request);
            } else {
                throw new RejectedExecutionException("the image encoder's queue is full (" + queueSize + " waiting)");
            }
        }
        return request.result;
    }

    /** Puts {@code request} into the open group's next slot and starts preparing it. Holds the lock. */
    private void admit(Request request) {
        Group group = open;
        int slot = group.members.size();
        if (slot == 0) {
            group.openedAt = System.nanoTime();
        }
        group.members.add(request);
        FloatBuffer target = group.pixels.duplicate().position(slot * floatsPerImage)
                .limit((slot + 1) * floatsPerImage).slice();
        Executor helper = slot == 0 && waiting.isEmpty() && !running ? workers : RangeSplit.SEQUENTIAL;
        try {
            workers.execute(() -> prepare(group, request, target, helper));
        } catch (RejectedExecutionException e) {
            request.failure = e;
            group.prepared++;
        }
        lock.notifyAll();
    }

    private void prepare(Group group, Request request, FloatBuffer target, Executor helper) {
        try {
            preparation.prepare(request.image, target, helper);
        } catch (RuntimeException | Error e) {
            request.failure = e;
        }
        synchronized (lock) {
            group.prepared++;
            lock.notifyAll();
        }
    }

    private void runGroups() {
        while (true) {
            Group group;
            try {
                group = nextGroup();
            } catch (InterruptedException e) {
                return;
            }
            if (group == null) {
                return;
            }
            run(group);
            synchronized (lock) {
                group.clear();
                free = group;
                lock.notifyAll();
            }
        }
    }

    /** Waits until the open group may run, seals it, and opens the other group with the waiting requests. */
    private Group nextGroup() throws InterruptedException {
        synchronized (lock) {
            while (true) {
                if (closed) {
                    return null;
                }
                Group group = open;
                int size = group.members.size();
                if (size > 0 && group.prepared == size) {
                    long waited = System.nanoTime() - group.openedAt;
                    // Without concurrent load (the previous run held one image) nothing is waited for:
                    // concurrency 1 pays no batching latency.
                    if (size == maxBatch || lastBatchSize <= 1 || waited >= maxWaitNanos) {
                        open = free;
                        free = null;
                        running = true;
                        while (!waiting.isEmpty() && open.members.size() < maxBatch) {
                            admit(waiting.poll());
                        }
                        return group;
                    }
                    long leftMillis = Math.max(1, (maxWaitNanos - waited) / 1_000_000);
                    lock.wait(leftMillis);
                } else {
                    lock.wait();
                }
            }
        }
    }

    /** Runs the prepared images of a sealed group as one batch and completes its requests. */
    private void run(Group group) {
        List<Request> good = new ArrayList<>(group.members.size());
        List<Integer> goodSlots = new ArrayList<>(group.members.size());
        for (int slot = 0; slot < group.members.size(); slot++) {
            Request request = group.members.get(slot);
            if (request.failure == null) {
                good.add(request);
                goodSlots.add(slot);
            } else {
                finish(request.result, null, request.failure);
            }
        }
        synchronized (lock) {
            lastBatchSize = good.size();
            running = !good.isEmpty();
        }
        if (good.isEmpty()) {
            return;
        }
        float[][] embeddings;
        try {
            embeddings = inference.embed(compact(group.pixels, floatsPerImage, goodSlots),
                    good.stream().map(request -> request.image).toList());
        } catch (RuntimeException | Error e) {
            LOG.warnf("the vision tower failed on a batch of %d image(s): %s", good.size(), e.getMessage());
            ranToEnd();
            good.forEach(request -> finish(request.result, null, e));
            return;
        }
        // Before the callers hear back: the next request of a client that waits for each answer finds the tower idle.
        ranToEnd();
        for (int i = 0; i < good.size(); i++) {
            finish(good.get(i).result, embeddings[i], null);
        }
    }

    /**
     * Moves the images in {@code slots} (ascending) of {@code batch} to its front, one after another, so that they
     * form one batch, and returns that batch: a copy only for a slot behind a dropped one (an image that failed).
     */
    static FloatBuffer compact(FloatBuffer batch, int floatsPerImage, List<Integer> slots) {
        for (int to = 0; to < slots.size(); to++) {
            int from = slots.get(to);
            if (from != to) {
                FloatBuffer source = batch.duplicate().position(from * floatsPerImage).limit((from + 1) * floatsPerImage);
                batch.duplicate().position(to * floatsPerImage).put(source);
            }
        }
        return batch.duplicate().position(0).limit(slots.size() * floatsPerImage).slice();
    }

    private void ranToEnd() {
        synchronized (lock) {
            running = false;
        }
    }

    /**
     * Completes a request on the worker pool, so that what the caller chains on it (search, JSON)
     * does not hold up the inference thread; inline when the pool is full.
     */
    private void finish(CompletableFuture<float[]> result, float[] embedding, Throwable failure) {
        Runnable completion = failure == null ? () -> result.complete(embedding) : () -> result.completeExceptionally(failure);
        try {
            workers.execute(completion);
        } catch (RejectedExecutionException e) {
            completion.run();
        }
    }

    /** Images submitted and not yet run: those being prepared or waiting for a run, and those queued for a slot. */
    int depth() {
        synchronized (lock) {
            return waiting.size() + (open == null ? 0 : open.members.size());
        }
    }

    /** Stops the inference thread; requests not yet run fail with a {@link RejectedExecutionException}. */
    @Override
    public void close() {
        List<Request> abandoned = new ArrayList<>();
        synchronized (lock) {
            closed = true;
            abandoned.addAll(waiting);
            abandoned.addAll(open.members);
            waiting.clear();
            lock.notifyAll();
        }
        inferenceThread.interrupt();
        abandoned.forEach(r -> r.result.completeExceptionally(new RejectedExecutionException("the image encoder was closed")));
    }

    /** One image's request: where its bytes come from, and its outcome. */
    private final class Request {
        final T image;
        final CompletableFuture<float[]> result = new CompletableFuture<>();
        /** Set by the preparing worker before it counts the request as prepared (under the lock). */
        Throwable failure;

        Request(T image) {
            this.image = image;
        }
    }

    /** Up to maxBatch requests and the direct buffer their images are prepared into, slot after slot. */
    private final class Group {
        final FloatBuffer pixels; // [maxBatch, 3, S, S]
        final List<Request> members;
        int prepared;
        long openedAt;

        Group(int maxBatch, int floatsPerImage) {
            this.pixels = ByteBuffer.allocateDirect(maxBatch * floatsPerImage * Float.BYTES)
                    .order(ByteOrder.nativeOrder()).asFloatBuffer();
            this.members = new ArrayList<>(maxBatch);
        }

        void clear() {
            members.clear();
            prepared = 0;
        }
    }
}
