import io.multimodalrag.search.EmbeddingMatrix;
import io.multimodalrag.search.MatrixScanner;
import io.multimodalrag.search.ScoredRow;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The service's exact search on the vectors that bench/search/baselines.py generated, timed the way the baselines
 * are timed: one query at a time, then batches of 64, top 10 each, after warm-up. Also measures the memory-bandwidth
 * floor, a plain streaming read of the same array with the same threads, after each single query. Writes
 * DIR/result-ENGINE-ROWS-rROUND.json for bench/search/report.py.
 *
 * <pre>
 * java [--add-modules=jdk.incubator.vector] -Xmx4g -cp target/classes:target/bench-search/classes SearchBenchmark \
 *     DIR ROWS DIMENSIONS THREADS SINGLE_RUNS BATCH_RUNS ENGINE_NAME ROUND
 * </pre>
 */
public final class SearchBenchmark {

    private static final int K = 10;
    private static final int BATCH = 64;
    /**
     * Warm-up: at least this many searches and this long, so that the kernel is compiled before timing (a search of
     * a large matrix calls the kernel often enough to have it compiled within the first one).
     */
    private static final int WARM_UP_RUNS = 2;
    private static final long WARM_UP_NANOS = 2_000_000_000L;

    public static void main(String[] args) throws IOException {
        if (args.length != 8) {
            throw new IllegalArgumentException(
                    "usage: SearchBenchmark DIR ROWS DIMENSIONS THREADS SINGLE_RUNS BATCH_RUNS ENGINE_NAME ROUND");
        }
        Path dir = Path.of(args[0]);
        int rows = Integer.parseInt(args[1]);
        int dimensions = Integer.parseInt(args[2]);
        int threads = Integer.parseInt(args[3]);
        int singleRuns = Integer.parseInt(args[4]);
        int batchRuns = Integer.parseInt(args[5]);
        String engine = args[6];
        int round = Integer.parseInt(args[7]);

        float[] queryData = read(dir.resolve("queries.f32"), BATCH * dimensions);
        float[][] queries = new float[BATCH][];
        for (int q = 0; q < BATCH; q++) {
            queries[q] = Arrays.copyOfRange(queryData, q * dimensions, (q + 1) * dimensions);
        }
        float[] data = read(dir.resolve("vectors-" + rows + ".f32"), rows * dimensions);

        try (MatrixScanner scanner = MatrixScanner.create(threads)) {
            EmbeddingMatrix matrix = EmbeddingMatrix.of(data, dimensions, scanner);

            // The floor is read between single queries, so that both see the same conditions: on a shared VM the
            // bandwidth a thread gets changes from one second to the next.
            boolean vectorApi = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
            StreamingRead floor = vectorApi ? new StreamingRead(data, threads) : null;
            StreamingRead floorOneThread = vectorApi ? new StreamingRead(data, 1) : null;
            warmUp(() -> matrix.topK(queries[0], K, Float.NEGATIVE_INFINITY));
            double[] single = new double[singleRuns];
            double[] floorAll = new double[vectorApi ? singleRuns : 0];
            double[] floorOne = new double[vectorApi ? singleRuns : 0];
            List<List<ScoredRow>> singleResults = new ArrayList<>();
            for (int run = 0; run < singleRuns; run++) {
                float[] query = queries[run % BATCH];
                long start = System.nanoTime();
                List<ScoredRow> hits = matrix.topK(query, K, Float.NEGATIVE_INFINITY);
                single[run] = (System.nanoTime() - start) / 1e6;
                if (run < BATCH) {
                    singleResults.add(hits);
                }
                if (vectorApi) {
                    floorAll[run] = floor.gigabytesPerSecond();
                    floorOne[run] = floorOneThread.gigabytesPerSecond();
                }
            }
            if (vectorApi) {
                floor.close();
                floorOneThread.close();
            }

            warmUp(() -> matrix.topK(queries, K, Float.NEGATIVE_INFINITY));
            double[] batch = new double[batchRuns];
            List<List<ScoredRow>> batchResults = null;
            for (int run = 0; run < batchRuns; run++) {
                long start = System.nanoTime();
                batchResults = matrix.topK(queries, K, Float.NEGATIVE_INFINITY);
                batch[run] = (System.nanoTime() - start) / 1e6;
            }

            StringBuilder json = new StringBuilder();
            json.append("{\"engine\": ").append(quote(engine))
                    .append(", \"implementation\": ").append(quote(scanner.kernelDescription()))
                    .append(", \"runtime\": ").append(quote(System.getProperty("java.vm.name") + " "
                            + System.getProperty("java.runtime.version")))
                    .append(", \"rows\": ").append(rows)
                    .append(", \"dimensions\": ").append(dimensions)
                    .append(", \"threads\": ").append(threads)
                    .append(", \"k\": ").append(K)
                    .append(", \"single_ms\": ").append(numbers(single))
                    .append(", \"batch_ms\": ").append(numbers(batch))
                    .append(", \"floor_gbps\": ").append(numbers(floorAll))
                    .append(", \"floor_one_thread_gbps\": ").append(numbers(floorOne))
                    .append(", \"single_ids\": ").append(ids(singleResults))
                    .append(", \"batch_ids\": ").append(ids(batchResults))
                    .append("}\n");
            Path out = dir.resolve("result-" + engine + "-" + rows + "-r" + round + ".json");
            Files.writeString(out, json);
            System.out.printf(Locale.ROOT, "%s N=%d round %d: single %.2f ms, batch of %d %.1f ms (medians)%s%n",
                    engine, rows, round,
                    median(single), BATCH, median(batch), floorAll.length == 0 ? ""
                            : String.format(Locale.ROOT, ", floor %.1f GB/s", median(floorAll)));
        }
    }

    private static void warmUp(Runnable search) {
        long start = System.nanoTime();
        for (int run = 0; run < WARM_UP_RUNS || System.nanoTime() - start < WARM_UP_NANOS; run++) {
            search.run();
        }
    }

    /** Reads little-endian float32 values, as numpy's tofile writes them on x86. */
    private static float[] read(Path file, int count) throws IOException {
        float[] values = new float[count];
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            if (channel.size() != count * 4L) {
                throw new IOException(file + " holds " + channel.size() + " bytes, expected " + count * 4L);
            }
            int chunk = 1 << 26;
            for (long from = 0; from < count; from += chunk) {
                int length = (int) Math.min(chunk, count - from);
                FloatBuffer floats = channel.map(FileChannel.MapMode.READ_ONLY, from * 4, length * 4L)
                        .order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
                floats.get(values, (int) from, length);
            }
        }
        return values;
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n == 0 ? Double.NaN : n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static String numbers(double[] values) {
        StringBuilder s = new StringBuilder("[");
        for (int i = 0; i < values.length; i++) {
            s.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.4f", values[i]));
        }
        return s.append(']').toString();
    }

    private static String ids(List<List<ScoredRow>> results) {
        StringBuilder s = new StringBuilder("[");
        for (int q = 0; q < results.size(); q++) {
            s.append(q == 0 ? "[" : ", [");
            List<ScoredRow> hits = results.get(q);
            for (int i = 0; i < hits.size(); i++) {
                s.append(i == 0 ? "" : ", ").append(hits.get(i).row());
            }
            s.append(']');
        }
        return s.append(']').toString();
    }

    private static String quote(String text) {
        return '"' + text.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }
}
