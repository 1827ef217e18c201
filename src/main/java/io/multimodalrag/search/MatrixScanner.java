package io.multimodalrag.search;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs the exact search of {@link EmbeddingMatrix}: scores every row against the queries with the fastest
 * {@link InnerProductKernel} this JVM has, keeps the best rows of each query in a bounded heap, and splits large
 * searches across a small pool of threads of its own.
 *
 * <p><b>Blocking.</b> Rows are scored a block of about 256 KB at a time against up to 64 queries at a time, so that a
 * batch of queries reads each block from memory once and then from the core's cache for the other queries; scanning a
 * large matrix is otherwise bound by memory bandwidth, and 64 queries would read it 64 times.
 *
 * <p><b>Threads.</b> A search of at least {@value #PARALLEL_THRESHOLD_MULTIPLY_ADDS} multiply-adds (rows × dimensions
 * × queries) is cut into chunks of rows that the calling thread and up to {@code threads - 1} pool threads claim one
 * at a time, each chunk with its own heaps, merged at the end. The caller always takes part and waits only for chunks
 * another thread has already claimed, so a search never waits for a queued task: a busy, saturated or closed pool
 * makes it slower, never stuck, and nothing here blocks a thread of any other pool. Smaller searches stay on the
 * caller's thread, where handing work over would cost more than it saves.
 *
 * <p>Results never depend on the number of threads: a pair's score is the same in any block
 * ({@link InnerProductKernel}), and which rows a heap keeps depends only on the rows offered ({@link BoundedMinHeap}).
 * They may differ in the last bits of the scores between JVMs with and without the Vector API.
 *
 * <p>Thread-safe. {@link #close()} stops the pool; searches still work after it, on the caller's thread.
 */
public final class MatrixScanner implements AutoCloseable {

    /**
     * Searches below this many multiply-adds run on the caller's thread alone: handing half the rows to a parked pool
     * thread costs some tens of microseconds. Measured on the benchmark machine (2 cores, one query of 512
     * dimensions): 2,048 rows took 92 µs on one thread and 103 µs on two, 4,096 rows 180 µs and 155 µs.
     */
    static final long PARALLEL_THRESHOLD_MULTIPLY_ADDS = 1_500_000;

    /** Floats of rows scored per kernel call: 256 KB, which stays in a core's L2 cache while the queries pass. */
    private static final int ROW_BLOCK_FLOATS = 64 * 1024;

    /** Queries per kernel call: 64 queries of 512 dimensions are 128 KB, beside the row block in L2. */
    private static final int QUERY_BLOCK = 64;

    /** Chunks per thread: more than one, so that a thread slowed by other work leaves its share to the others. */
    private static final int CHUNKS_PER_THREAD = 4;

    private final InnerProductKernel kernel;
    private final int threads;
    private final long parallelThreshold;
    /** Runs the helpers of split searches; null with one thread. */
    private final ThreadPoolExecutor pool;

    /**
     * Creates a scanner with the fastest kernel available and its own pool of {@code threads - 1} daemon threads
     * (the caller of each search is the last one), started when first needed and ended after a minute idle.
     *
     * @param threads the most threads one search uses, the caller's included; at least 1
     * @return a scanner to {@link #close()} when no longer needed
     * @throws IllegalArgumentException if {@code threads < 1}
     */
    public static MatrixScanner create(int threads) {
        return new MatrixScanner(InnerProductKernel.fastestAvailable(), threads, PARALLEL_THRESHOLD_MULTIPLY_ADDS);
    }

    /**
     * Returns the scanner of matrices created without one: the fastest kernel, as many threads as the JVM has
     * processors. Never closed; its idle threads end on their own.
     *
     * @return the process-wide default scanner
     */
    public static MatrixScanner shared() {
        return Shared.INSTANCE;
    }

    /**
     * @param kernel            scores the rows
     * @param threads           the most threads one search uses, the caller's included; at least 1
     * @param parallelThreshold searches of fewer multiply-adds stay on the caller's thread (tests pass a small one)
     */
    MatrixScanner(InnerProductKernel kernel, int threads, long parallelThreshold) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, was " + threads);
        }
        this.kernel = Objects.requireNonNull(kernel, "kernel");
        this.threads = threads;
        this.parallelThreshold = parallelThreshold;
        this.pool = threads == 1 ? null : newPool(threads - 1);
    }

    /** @return the most threads one search uses, the caller's included */
    public int threads() {
        return threads;
    }

    /** @return which kernel scores the rows and why, for the start-up log */
    public String kernelDescription() {
        return kernel.description();
    }

    /** Stops the pool threads; later searches run on their caller's thread alone. */
    @Override
    public void close() {
        if (pool != null) {
            pool.shutdown();
        }
    }

    @Override
    public String toString() {
        return "MatrixScanner[" + kernel.description() + ", threads=" + threads + "]";
    }

    /**
     * The best rows of a segmented matrix for each query: row {@code r} lives in {@code segments[s]} at
     * {@code (r - starts[s]) * dimensions}, for the segment with {@code starts[s] <= r < starts[s + 1]}, and
     * {@code starts[segments.length]} is the row count. Arguments are checked by {@link EmbeddingMatrix}.
     *
     * @return one unmodifiable list per query, best first, at most {@code k} long
     */
    List<List<ScoredRow>> topK(float[][] segments, int[] starts, int dimensions, float[][] queries, int k,
            float minScore) {
        int rows = starts[segments.length];
        int capacity = Math.min(k, rows);
        List<List<ScoredRow>> results = new ArrayList<>(queries.length);
        if (capacity == 0 || queries.length == 0) {
            for (int q = 0; q < queries.length; q++) {
                results.add(List.of());
            }
            return List.copyOf(results);
        }
        Scan scan = new Scan(segments, starts, dimensions, rows, blocksOf(queries), queries.length, capacity, minScore,
                chunkCount((long) rows * dimensions * queries.length, rows));
        BoundedMinHeap[][] chunkHeaps = scan.run(pool, threads - 1);
        for (int q = 0; q < queries.length; q++) {
            BoundedMinHeap merged = chunkHeaps[0][q];
            for (int c = 1; c < chunkHeaps.length; c++) {
                merged.offerAll(chunkHeaps[c][q]);
            }
            results.add(merged.drainBestFirst());
        }
        return List.copyOf(results);
    }

    private int chunkCount(long multiplyAdds, int rows) {
        if (pool == null || multiplyAdds < parallelThreshold) {
            return 1;
        }
        return (int) Math.min((long) threads * CHUNKS_PER_THREAD, rows);
    }

    private static float[][][] blocksOf(float[][] queries) {
        int blocks = (queries.length + QUERY_BLOCK - 1) / QUERY_BLOCK;
        float[][][] split = new float[blocks][][];
        for (int b = 0; b < blocks; b++) {
            split[b] = Arrays.copyOfRange(queries, b * QUERY_BLOCK, Math.min(queries.length, (b + 1) * QUERY_BLOCK));
        }
        return split;
    }

    private static ThreadPoolExecutor newPool(int size) {
        AtomicInteger counter = new AtomicInteger();
        // Each search queues at most size helpers, which return at once if the chunks are gone when they start; a
        // full queue only means that the caller scans more of its chunks itself.
        ThreadPoolExecutor pool = new ThreadPoolExecutor(size, size, 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(64 * size), runnable -> {
                    Thread thread = new Thread(runnable, "rag-search-" + counter.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                }, new ThreadPoolExecutor.AbortPolicy());
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    /** One search: its chunks of rows, who has claimed which, and each chunk's heaps. */
    private final class Scan implements Runnable {

        private final float[][] segments;
        private final int[] starts;
        private final int dimensions;
        private final int rows;
        private final float[][][] queryBlocks;
        private final int queryCount;
        private final int capacity;
        private final float minScore;
        private final int chunks;
        private final BoundedMinHeap[][] chunkHeaps;
        private final AtomicInteger nextChunk = new AtomicInteger();
        private final CountDownLatch chunksDone;
        private final AtomicReference<Throwable> failure = new AtomicReference<>();

        Scan(float[][] segments, int[] starts, int dimensions, int rows, float[][][] queryBlocks, int queryCount,
                int capacity, float minScore, int chunks) {
            this.segments = segments;
            this.starts = starts;
            this.dimensions = dimensions;
            this.rows = rows;
            this.queryBlocks = queryBlocks;
            this.queryCount = queryCount;
            this.capacity = capacity;
            this.minScore = minScore;
            this.chunks = chunks;
            this.chunkHeaps = new BoundedMinHeap[chunks][];
            this.chunksDone = new CountDownLatch(chunks);
        }

        /** Scans every chunk, with up to {@code helpers} pool threads, and returns the heaps of each chunk. */
        BoundedMinHeap[][] run(ThreadPoolExecutor pool, int helpers) {
            for (int i = 0; i < Math.min(helpers, chunks - 1); i++) {
                try {
                    pool.execute(this);
                } catch (RejectedExecutionException e) {
                    break; // the pool is full or closed: this thread scans what no helper claims
                }
            }
            run();
            awaitClaimedChunks();
            Throwable failed = failure.get();
            if (failed instanceof Error error) {
                throw error;
            }
            if (failed != null) {
                throw new IllegalStateException("a search thread failed", failed);
            }
            return chunkHeaps;
        }

        /** Claims and scans chunks until none is left; the caller and each helper run this. */
        @Override
        public void run() {
            for (int chunk = nextChunk.getAndIncrement(); chunk < chunks; chunk = nextChunk.getAndIncrement()) {
                try {
                    chunkHeaps[chunk] = scanRows(chunkStart(chunk), chunkStart(chunk + 1));
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    chunksDone.countDown(); // publishes chunkHeaps[chunk] to the caller
                }
            }
        }

        /** Waits for chunks that helpers are still scanning; all are claimed when the caller's own run returns. */
        private void awaitClaimedChunks() {
            boolean interrupted = false;
            while (true) {
                try {
                    chunksDone.await();
                    break;
                } catch (InterruptedException e) {
                    // The wait is bounded by scans already running; give up on none, restore the flag after.
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }

        private BoundedMinHeap[] scanRows(int fromRow, int toRow) {
            BoundedMinHeap[] heaps = new BoundedMinHeap[queryCount];
            for (int q = 0; q < queryCount; q++) {
                heaps[q] = new BoundedMinHeap(capacity);
            }
            int blockRows = Math.max(1, Math.min(ROW_BLOCK_FLOATS / dimensions, toRow - fromRow));
            float[] scores = new float[queryBlocks[0].length * blockRows];
            int segment = EmbeddingMatrix.segmentOf(starts, segments.length, fromRow);
            for (int row = fromRow; row < toRow; ) {
                while (row >= starts[segment + 1]) {
                    segment++;
                }
                // A block never crosses a segment's end: the kernel reads one array.
                int count = Math.min(blockRows, Math.min(toRow, starts[segment + 1]) - row);
                float[] data = segments[segment];
                int local = row - starts[segment];
                int firstQuery = 0;
                for (float[][] block : queryBlocks) {
                    kernel.score(data, dimensions, local, count, block, scores);
                    for (int q = 0; q < block.length; q++) {
                        BoundedMinHeap heap = heaps[firstQuery + q];
                        for (int r = 0, at = q * count; r < count; r++, at++) {
                            float score = scores[at];
                            if (score >= minScore) { // false for NaN, which is never returned
                                heap.offer(row + r, score);
                            }
                        }
                    }
                    firstQuery += block.length;
                }
                row += count;
            }
            return heaps;
        }

        /**
         * The first row of a chunk: on a segment's first row when there are at least as many segments as chunks, so
         * that every block of rows is whole (a block never crosses a segment's end), else an even share of the rows.
         */
        private int chunkStart(int chunk) {
            if (chunk == chunks) {
                return rows;
            }
            if (segments.length >= chunks) {
                return starts[(int) ((long) segments.length * chunk / chunks)];
            }
            return (int) ((long) rows * chunk / chunks);
        }
    }

    /** Holds the default scanner, created on first use. */
    private static final class Shared {
        static final MatrixScanner INSTANCE = create(Runtime.getRuntime().availableProcessors());
    }
}
