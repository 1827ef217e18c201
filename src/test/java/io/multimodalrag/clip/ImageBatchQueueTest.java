package io.multimodalrag.clip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multimodalrag.image.ImageDecoder;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Concurrent image requests share vision-tower runs, fail alone, and get what single-image runs
 * give. The fake tower below returns, for each image, the first float of its slot, so a result
 * shows which pixels reached which request; the first run is held open by a latch so that the
 * requests that follow must queue behind it, which makes the coalescing deterministic.
 */
class ImageBatchQueueTest {

    private static final int FLOATS = 4;
    private static final Executor DIRECT = Runnable::run;

    /** Writes the image's only byte into every float of its slot; an empty image is "undecodable". */
    private static final ImageBatchQueue.Preparation<byte[]> FAKE_DECODER = (bytes, slot, helper) -> {
        if (bytes.length == 0) {
            throw new IllegalArgumentException("not an image");
        }
        for (int i = 0; i < FLOATS; i++) {
            slot.put(bytes[0]);
        }
    };

    /** A fake vision tower that records batch sizes and can hold its first run until released. */
    private static final class FakeTower implements ImageBatchQueue.Inference<byte[]> {
        final List<Integer> batchSizes = new CopyOnWriteArrayList<>();
        final CountDownLatch firstRunEntered = new CountDownLatch(1);
        final CountDownLatch releaseFirstRun = new CountDownLatch(1);
        volatile RuntimeException failure;

        @Override
        public float[][] embed(FloatBuffer pixels, List<byte[]> images) {
            int batch = images.size();
            assertEquals(batch * FLOATS, pixels.remaining());
            batchSizes.add(batch);
            if (batchSizes.size() == 1) {
                firstRunEntered.countDown();
                await(releaseFirstRun);
            }
            if (failure != null) {
                throw failure;
            }
            float[][] out = new float[batch][];
            for (int i = 0; i < batch; i++) {
                out[i] = new float[] {pixels.get(i * FLOATS)};
            }
            return out;
        }
    }

    @Test
    void requestsArrivingDuringARunShareTheNextRun() throws Exception {
        FakeTower tower = new FakeTower();
        try (ImageBatchQueue<byte[]> queue = new ImageBatchQueue<>(FAKE_DECODER, tower, DIRECT, FLOATS, 16, 0, 64)) {
            CompletableFuture<float[]> first = queue.submit(new byte[] {1});
            await(tower.firstRunEntered);
            List<CompletableFuture<float[]>> next = new ArrayList<>();
            for (int i = 2; i <= 6; i++) {
                byte value = (byte) i;
                next.add(queue.submit(new byte[] {value}));
            }
            tower.releaseFirstRun.countDown();

            assertArrayEquals(new float[] {1}, first.get(5, TimeUnit.SECONDS));
            for (int i = 0; i < next.size(); i++) {
                assertArrayEquals(new float[] {i + 2}, next.get(i).get(5, TimeUnit.SECONDS));
            }
            assertEquals(List.of(1, 5), tower.batchSizes);
        }
    }

    @Test
    void aBatchNeverExceedsMaxBatch() throws Exception {
        FakeTower tower = new FakeTower();
        try (ImageBatchQueue<byte[]> queue = new ImageBatchQueue<>(FAKE_DECODER, tower, DIRECT, FLOATS, 3, 0, 64)) {
            List<CompletableFuture<float[]>> all = new ArrayList<>();
            all.add(queue.submit(new byte[] {1}));
            await(tower.firstRunEntered);
            for (int i = 2; i <= 8; i++) {
                byte value = (byte) i;
                all.add(queue.submit(new byte[] {value}));
            }
            tower.releaseFirstRun.countDown();
            for (int i = 0; i < all.size(); i++) {
                assertArrayEquals(new float[] {i + 1}, all.get(i).get(5, TimeUnit.SECONDS));
            }
            assertEquals(List.of(1, 3, 3, 1), tower.batchSizes);
        }
    }

    @Test
    void anUndecodableImageFailsAloneAndItsBatchMatesGetTheirOwnPixels() throws Exception {
        FakeTower tower = new FakeTower();
        try (ImageBatchQueue<byte[]> queue = new ImageBatchQueue<>(FAKE_DECODER, tower, DIRECT, FLOATS, 16, 0, 64)) {
            queue.submit(new byte[] {1});
            await(tower.firstRunEntered);
            CompletableFuture<float[]> before = queue.submit(new byte[] {7});
            CompletableFuture<float[]> bad = queue.submit(new byte[0]);
            CompletableFuture<float[]> after = queue.submit(new byte[] {9});
            tower.releaseFirstRun.countDown();

            assertArrayEquals(new float[] {7}, before.get(5, TimeUnit.SECONDS));
            assertArrayEquals(new float[] {9}, after.get(5, TimeUnit.SECONDS));
            CompletionException failure = assertThrows(CompletionException.class, bad::join);
            assertTrue(failure.getCause() instanceof IllegalArgumentException);
            assertEquals("not an image", failure.getCause().getMessage());
            assertEquals(List.of(1, 2), tower.batchSizes);
        }
    }

    @Test
    void aFailedRunFailsThatRunsRequestsAndTheQueueGoesOn() throws Exception {
        FakeTower tower = new FakeTower();
        try (ImageBatchQueue<byte[]> queue = new ImageBatchQueue<>(FAKE_DECODER, tower, DIRECT, FLOATS, 16, 0, 64)) {
            tower.failure = new IllegalStateException("ONNX Runtime failed to embed 1 image(s): out of memory");
            CompletableFuture<float[]> failed = queue.submit(new byte[] {1});
            tower.releaseFirstRun.countDown();
            CompletionException failure = assertThrows(CompletionException.class, failed::join);
            assertSame(tower.failure, failure.getCause());

            tower.failure = null;
            assertArrayEquals(new float[] {2}, queue.submit(new byte[] {2}).get(5, TimeUnit.SECONDS));
        }
    }

    /**
     * Only an image admitted while nothing else is being prepared, waiting or run gets the worker pool as the helper
     * for its loops; the ones that arrive during a run, or beside another image, are prepared on one thread.
     */
    @Test
    void onlyALoneImageIsOfferedTheWorkerPool() throws Exception {
        FakeTower tower = new FakeTower();
        Map<Byte, Executor> helpers = new ConcurrentHashMap<>();
        ImageBatchQueue.Preparation<byte[]> recording = (bytes, slot, helper) -> {
            helpers.put(bytes[0], helper);
            FAKE_DECODER.prepare(bytes, slot, helper);
        };
        Executor pool = command -> DIRECT.execute(command);
        try (ImageBatchQueue<byte[]> queue = new ImageBatchQueue<>(recording, tower, pool, FLOATS, 16, 0, 64)) {
            CompletableFuture<float[]> lone = queue.submit(new byte[] {1});
            await(tower.firstRunEntered);
            CompletableFuture<float[]> duringRun = queue.submit(new byte[] {2});
            CompletableFuture<float[]> besideIt = queue.submit(new byte[] {3});
            tower.releaseFirstRun.countDown();
            lone.get(5, TimeUnit.SECONDS);
            duringRun.get(5, TimeUnit.SECONDS);
            besideIt.get(5, TimeUnit.SECONDS);
            CompletableFuture<float[]> aloneAgain = queue.submit(new byte[] {4});
            aloneAgain.get(5, TimeUnit.SECONDS);
        }
        assertEquals(Map.of((byte) 1, pool, (byte) 2, RangeSplit.SEQUENTIAL, (byte) 3, RangeSplit.SEQUENTIAL,
                (byte) 4, pool), helpers);
    }

    @Test
    void aFullQueueRejectsAtOnce() throws Exception {
        FakeTower tower = new FakeTower();
        try (ImageBatchQueue<byte[]> queue = new ImageBatchQueue<>(FAKE_DECODER, tower, DIRECT, FLOATS, 1, 0, 1)) {
            CompletableFuture<float[]> running = queue.submit(new byte[] {1});
            await(tower.firstRunEntered);
            CompletableFuture<float[]> inNextBatch = queue.submit(new byte[] {2});
            CompletableFuture<float[]> waiting = queue.submit(new byte[] {3});
            assertThrows(RejectedExecutionException.class, () -> queue.submit(new byte[] {4}));
            tower.releaseFirstRun.countDown();

            assertArrayEquals(new float[] {1}, running.get(5, TimeUnit.SECONDS));
            assertArrayEquals(new float[] {2}, inNextBatch.get(5, TimeUnit.SECONDS));
            assertArrayEquals(new float[] {3}, waiting.get(5, TimeUnit.SECONDS));
        }
    }

    @Test
    void batchedEmbeddingsEqualSingleImageEmbeddingsOfTheRealPipeline() throws Exception {
        List<byte[]> images = new ArrayList<>();
        for (String name : List.of("astronaut.jpg", "chelsea.png", "coffee.jpg", "rocket.jpg", "coffee_225x224.png",
                "retina_463x451.png", "rocket_tall.png", "chelsea_small.png")) {
            images.add(Files.readAllBytes(Path.of("src/test/resources/images", name)));
        }
        ImageDecoder decoder = new ImageDecoder(50_000_000);
        ExecutorService workers = Executors.newFixedThreadPool(4);
        try (ClipModel model = ClipModel.open(ClipModel.ModelFiles.find(Path.of("src/test/resources/clip-tiny"), "fp32")
                .orElseThrow(), ClipModel.Device.CPU, 1)) {
            ClipPreprocessor pre = new ClipPreprocessor(model.imageSize());
            int floats = 3 * model.imageSize() * model.imageSize();
            List<float[]> single = new ArrayList<>();
            for (byte[] image : images) {
                FloatBuffer input = ByteBuffer.allocateDirect(floats * Float.BYTES).order(ByteOrder.nativeOrder())
                        .asFloatBuffer();
                pre.preprocess(decoder.decode(image), input);
                single.add(model.vision().embed(input.flip(), 1)[0]);
            }

            FakeTower counter = new FakeTower();
            counter.releaseFirstRun.countDown();
            ImageBatchQueue.Inference<byte[]> counted = (pixels, batch) -> {
                counter.batchSizes.add(batch.size());
                return model.vision().embed(pixels, batch.size());
            };
            try (ImageBatchQueue<byte[]> queue = new ImageBatchQueue<>(
                    (bytes, slot, helper) -> pre.preprocess(decoder.decode(bytes, int[]::new), slot, helper),
                    counted, workers, floats, 16, 5_000_000, 64)) {
                List<CompletableFuture<float[]>> batched = new ArrayList<>();
                for (byte[] image : images) {
                    batched.add(queue.submit(image));
                }
                for (int i = 0; i < images.size(); i++) {
                    assertArrayEquals(single.get(i), batched.get(i).get(30, TimeUnit.SECONDS), 1e-5f, "image " + i);
                }
            }
            assertEquals(images.size(), counter.batchSizes.stream().mapToInt(Integer::intValue).sum());
        } finally {
            workers.shutdownNow();
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the fake tower was never reached");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

}
