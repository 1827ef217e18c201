import io.multimodalrag.search.EmbeddingMatrix;
import io.multimodalrag.search.MatrixScanner;
import io.multimodalrag.search.ScoredRow;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A first measurement for the search-below-memory-speed issue: how fast a scan of int8 rows (per-dimension scales
 * folded into the query, bytes widened to floats by the Vector API) finds candidates, and how many candidates
 * ({@code k × m}) an exact float32 rerank needs for the exact top 10, against the service's exact scan of the same
 * rows, in one process, rounds interleaved. Random unit vectors (the hardest case: nearly equal scores) and clustered
 * ones (a mixture of Gaussians on the sphere). Not the service's code: it decides what that code should be.
 *
 * <pre>
 * java --add-modules=jdk.incubator.vector -Xmx8g -cp target/classes:target/bench-search/classes \
 *     QuantizedScanProbe ROWS DIMENSIONS THREADS QUERIES ROUNDS
 * </pre>
 */
public final class QuantizedScanProbe {

    private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Byte> BYTES = VectorSpecies.of(byte.class,
            jdk.incubator.vector.VectorShape.forBitSize(FLOATS.vectorBitSize() / 4));
    private static final int K = 10;
    private static final int[] FACTORS = {1, 2, 4, 8, 16, 32, 64};

    public static void main(String[] args) throws Exception {
        int rows = Integer.parseInt(args[0]);
        int dims = Integer.parseInt(args[1]);
        int threads = Integer.parseInt(args[2]);
        int queryCount = Integer.parseInt(args[3]);
        int rounds = Integer.parseInt(args[4]);
        System.out.printf(Locale.ROOT, "rows %,d, %d dimensions, %d threads, %d queries, %d rounds; floats %d lanes, bytes %d%n",
                rows, dims, threads, queryCount, rounds, FLOATS.length(), BYTES.length());
        for (String kind : List.of("random", "clustered")) {
            float[] data = kind.equals("random") ? random(rows, dims, 1) : clustered(rows, dims, 2, 256, 0.35f);
            float[][] queries = new float[queryCount][];
            float[] queryRows = kind.equals("random") ? random(queryCount, dims, 3) : clustered(queryCount, dims, 2, 256, 0.35f);
            for (int q = 0; q < queryCount; q++) {
                queries[q] = Arrays.copyOfRange(queryRows, q * dims, (q + 1) * dims);
            }
            probe(kind, data, rows, dims, threads, queries, rounds);
        }
    }

    private static void probe(String kind, float[] data, int rows, int dims, int threads, float[][] queries, int rounds)
            throws Exception {
        // Per-dimension scale: the largest magnitude of each dimension maps to 127.
        float[] scale = new float[dims];
        for (int r = 0; r < rows; r++) {
            for (int d = 0; d < dims; d++) {
                scale[d] = Math.max(scale[d], Math.abs(data[r * dims + d]));
            }
        }
        byte[] codes = new byte[rows * dims];
        for (int r = 0; r < rows; r++) {
            for (int d = 0; d < dims; d++) {
                codes[r * dims + d] = (byte) Math.round(data[r * dims + d] / scale[d] * 127f);
            }
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try (MatrixScanner scanner = MatrixScanner.create(threads)) {
            EmbeddingMatrix matrix = EmbeddingMatrix.of(data, dims, scanner);
            List<List<Integer>> exact = new ArrayList<>();
            for (float[] query : queries) {
                exact.add(matrix.topK(query, K, Float.NEGATIVE_INFINITY).stream().map(ScoredRow::row).toList());
            }
            // recall of the exact top 10 among the top k×m of the int8 scores, then reranked exactly
            int[] hits = new int[FACTORS.length];
            float[] approx = new float[rows];
            for (int q = 0; q < queries.length; q++) {
                int8Scores(codes, rows, dims, folded(queries[q], scale), approx, pool, threads);
                for (int f = 0; f < FACTORS.length; f++) {
                    List<Integer> reranked = rerank(data, dims, queries[q], topIndices(approx, K * FACTORS[f]));
                    if (reranked.equals(exact.get(q))) {
                        hits[f]++;
                    }
                }
            }
            StringBuilder recall = new StringBuilder();
            for (int f = 0; f < FACTORS.length; f++) {
                recall.append(String.format(Locale.ROOT, " m=%d: %d/%d", FACTORS[f], hits[f], queries.length));
            }
            System.out.println(kind + ": queries whose reranked top 10 equals exact," + recall);

            // timing, rounds interleaved: exact float scan (the service's) vs int8 scan + top k×16 + rerank
            long[] exactNanos = new long[rounds];
            long[] int8Nanos = new long[rounds];
            long[] pairNanos = new long[rounds];
            long[] quadNanos = new long[rounds];
            for (int i = 0; i < 3; i++) { // warm-up
                matrix.topK(queries[i % queries.length], K, Float.NEGATIVE_INFINITY);
                int8Scores(codes, rows, dims, folded(queries[i % queries.length], scale), approx, pool, threads);
            }
            for (int round = 0; round < rounds; round++) {
                long start = System.nanoTime();
                for (float[] query : queries) {
                    matrix.topK(query, K, Float.NEGATIVE_INFINITY);
                }
                exactNanos[round] = (System.nanoTime() - start) / queries.length;
                start = System.nanoTime();
                for (float[] query : queries) {
                    int8Scores(codes, rows, dims, folded(query, scale), approx, pool, threads);
                    rerank(data, dims, query, topIndices(approx, K * 16));
                }
                int8Nanos[round] = (System.nanoTime() - start) / queries.length;
                start = System.nanoTime();
                for (float[] query : queries) {
                    int8ScoresPairs(codes, rows, dims, folded(query, scale), approx, pool, threads);
                    rerank(data, dims, query, topIndices(approx, K * 16));
                }
                pairNanos[round] = (System.nanoTime() - start) / queries.length;
                start = System.nanoTime();
                for (float[] query : queries) {
                    int8ScoresQuads(codes, rows, dims, folded(query, scale), approx, pool, threads);
                    rerank(data, dims, query, topIndices(approx, K * 16));
                }
                quadNanos[round] = (System.nanoTime() - start) / queries.length;
            }
            Arrays.sort(pairNanos);
            Arrays.sort(quadNanos);
            Arrays.sort(exactNanos);
            Arrays.sort(int8Nanos);
            double e = exactNanos[rounds / 2] / 1e6;
            double i8 = int8Nanos[rounds / 2] / 1e6;
            System.out.printf(Locale.ROOT, "%s: single query, median of %d rounds: exact float32 %.1f ms, int8 scan + rerank"
                    + " of %d %.1f ms, ratio %.2f; two rows a step %.1f ms, ratio %.2f; four %.1f ms, ratio %.2f%n",
                    kind, rounds, e, K * 16, i8, i8 / e, pairNanos[rounds / 2] / 1e6, pairNanos[rounds / 2] / 1e6 / e,
                    quadNanos[rounds / 2] / 1e6, quadNanos[rounds / 2] / 1e6 / e);
        } finally {
            pool.shutdown();
        }
    }

    private static float[] folded(float[] query, float[] scale) {
        float[] folded = new float[query.length];
        for (int d = 0; d < query.length; d++) {
            folded[d] = query[d] * scale[d] / 127f;
        }
        return folded;
    }

    private static void int8Scores(byte[] codes, int rows, int dims, float[] query, float[] out, ExecutorService pool,
            int threads) throws Exception {
        inParts(pool, threads, rows, 1, (from, to) -> {
            for (int r = from; r < to; r++) {
                out[r] = dot(codes, r * dims, query, dims);
            }
        });
    }

    /** A range of rows, {@code from} inclusive to {@code to} exclusive. */
    private interface Rows {
        void score(int from, int to);
    }

    /** Runs {@code part} over {@code rows} split into one range per thread, each a multiple of {@code step} long. */
    private static void inParts(ExecutorService pool, int threads, int rows, int step, Rows part) throws Exception {
        List<Future<?>> parts = new ArrayList<>();
        int per = ((rows + threads - 1) / threads + step - 1) / step * step;
        for (int t = 0; t < threads; t++) {
            int from = Math.min(rows, t * per);
            int to = Math.min(rows, from + per);
            parts.add(pool.submit(() -> part.score(from, to)));
        }
        for (Future<?> future : parts) {
            future.get();
        }
    }

    /** As {@link #int8Scores}, two rows a step: each query vector loaded once for both. */
    private static void int8ScoresPairs(byte[] codes, int rows, int dims, float[] query, float[] out,
            ExecutorService pool, int threads) throws Exception {
        inParts(pool, threads, rows, 2, (from, to) -> {
            int r = from;
            int lanes = FLOATS.length();
            for (; r + 1 < to; r += 2) {
                FloatVector a = FloatVector.zero(FLOATS);
                FloatVector b = FloatVector.zero(FLOATS);
                int oa = r * dims;
                int ob = oa + dims;
                for (int d = 0; d < dims; d += lanes) {
                    FloatVector q = FloatVector.fromArray(FLOATS, query, d);
                    a = ((FloatVector) ByteVector.fromArray(BYTES, codes, oa + d)
                            .convertShape(VectorOperators.B2F, FLOATS, 0)).fma(q, a);
                    b = ((FloatVector) ByteVector.fromArray(BYTES, codes, ob + d)
                            .convertShape(VectorOperators.B2F, FLOATS, 0)).fma(q, b);
                }
                out[r] = a.reduceLanes(VectorOperators.ADD);
                out[r + 1] = b.reduceLanes(VectorOperators.ADD);
            }
            for (; r < to; r++) {
                out[r] = dot(codes, r * dims, query, dims);
            }
        });
    }

    /** As {@link #int8Scores}, four rows a step. */
    private static void int8ScoresQuads(byte[] codes, int rows, int dims, float[] query, float[] out,
            ExecutorService pool, int threads) throws Exception {
        inParts(pool, threads, rows, 4, (from, to) -> {
            int r = from;
            int lanes = FLOATS.length();
            for (; r + 3 < to; r += 4) {
                FloatVector a = FloatVector.zero(FLOATS);
                FloatVector b = FloatVector.zero(FLOATS);
                FloatVector c = FloatVector.zero(FLOATS);
                FloatVector e = FloatVector.zero(FLOATS);
                int o = r * dims;
                for (int d = 0; d < dims; d += lanes) {
                    FloatVector q = FloatVector.fromArray(FLOATS, query, d);
                    a = ((FloatVector) ByteVector.fromArray(BYTES, codes, o + d)
                            .convertShape(VectorOperators.B2F, FLOATS, 0)).fma(q, a);
                    b = ((FloatVector) ByteVector.fromArray(BYTES, codes, o + dims + d)
                            .convertShape(VectorOperators.B2F, FLOATS, 0)).fma(q, b);
                    c = ((FloatVector) ByteVector.fromArray(BYTES, codes, o + 2 * dims + d)
                            .convertShape(VectorOperators.B2F, FLOATS, 0)).fma(q, c);
                    e = ((FloatVector) ByteVector.fromArray(BYTES, codes, o + 3 * dims + d)
                            .convertShape(VectorOperators.B2F, FLOATS, 0)).fma(q, e);
                }
                out[r] = a.reduceLanes(VectorOperators.ADD);
                out[r + 1] = b.reduceLanes(VectorOperators.ADD);
                out[r + 2] = c.reduceLanes(VectorOperators.ADD);
                out[r + 3] = e.reduceLanes(VectorOperators.ADD);
            }
            for (; r < to; r++) {
                out[r] = dot(codes, r * dims, query, dims);
            }
        });
    }

    private static float dot(byte[] codes, int offset, float[] query, int dims) {
        FloatVector sum = FloatVector.zero(FLOATS);
        int lanes = FLOATS.length();
        for (int d = 0; d < dims; d += lanes) {
            FloatVector row = (FloatVector) ByteVector.fromArray(BYTES, codes, offset + d)
                    .convertShape(VectorOperators.B2F, FLOATS, 0);
            sum = row.fma(FloatVector.fromArray(FLOATS, query, d), sum);
        }
        return sum.reduceLanes(VectorOperators.ADD);
    }

    private static int[] topIndices(float[] scores, int n) {
        // a bounded selection: keep the n best in a small sorted array (n ≤ 640)
        int[] best = new int[n];
        float[] bestScore = new float[n];
        Arrays.fill(bestScore, Float.NEGATIVE_INFINITY);
        for (int r = 0; r < scores.length; r++) {
            float s = scores[r];
            if (s > bestScore[n - 1]) {
                int i = n - 1;
                while (i > 0 && bestScore[i - 1] < s) {
                    bestScore[i] = bestScore[i - 1];
                    best[i] = best[i - 1];
                    i--;
                }
                bestScore[i] = s;
                best[i] = r;
            }
        }
        return best;
    }

    private static List<Integer> rerank(float[] data, int dims, float[] query, int[] candidates) {
        Integer[] order = new Integer[candidates.length];
        double[] exact = new double[candidates.length];
        for (int c = 0; c < candidates.length; c++) {
            order[c] = c;
            float sum = 0;
            for (int d = 0; d < dims; d++) {
                sum += data[candidates[c] * dims + d] * query[d];
            }
            exact[c] = sum;
        }
        Arrays.sort(order, (a, b) -> Double.compare(exact[b], exact[a]));
        List<Integer> top = new ArrayList<>();
        for (int i = 0; i < K; i++) {
            top.add(candidates[order[i]]);
        }
        return top;
    }

    private static float[] random(int rows, int dims, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] data = new float[rows * dims];
        for (int r = 0; r < rows; r++) {
            double norm = 0;
            for (int d = 0; d < dims; d++) {
                float v = (float) gaussian(random);
                data[r * dims + d] = v;
                norm += v * v;
            }
            normalise(data, r * dims, dims, norm);
        }
        return data;
    }

    /** A mixture of {@code clusters} Gaussians on the sphere, each {@code spread} wide around a random centre. */
    private static float[] clustered(int rows, int dims, long seed, int clusters, float spread) {
        float[] centres = random(clusters, dims, 99);
        SplittableRandom random = new SplittableRandom(seed);
        float[] data = new float[rows * dims];
        for (int r = 0; r < rows; r++) {
            int c = random.nextInt(clusters);
            double norm = 0;
            for (int d = 0; d < dims; d++) {
                float v = centres[c * dims + d] + spread * (float) gaussian(random) / (float) Math.sqrt(dims);
                data[r * dims + d] = v;
                norm += v * v;
            }
            normalise(data, r * dims, dims, norm);
        }
        return data;
    }

    private static double gaussian(SplittableRandom random) {
        double u = random.nextDouble();
        double v = random.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v);
    }

    private static void normalise(float[] data, int offset, int dims, double norm) {
        float inverse = (float) (1 / Math.sqrt(norm));
        for (int d = 0; d < dims; d++) {
            data[offset + d] *= inverse;
        }
    }
}
