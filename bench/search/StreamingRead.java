import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The memory-bandwidth floor of a float32 scan: the sum of every float of an array, split into one contiguous part
 * per thread, each read front to back with the widest vectors and four independent accumulators, so that nothing but
 * memory limits the speed. A scan of the same bytes with the same threads is at best this fast. Used only when the
 * JVM has the Vector API module.
 */
final class StreamingRead implements AutoCloseable {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();

    private final float[] data;
    private final int threads;
    private final ExecutorService pool;
    /** Keeps the sums, so that the reads cannot be optimised away. */
    private float sink;

    /** Reads {@code data} with {@code threads} threads; three untimed reads first. */
    StreamingRead(float[] data, int threads) {
        this.data = data;
        this.threads = threads;
        this.pool = Executors.newFixedThreadPool(threads);
        for (int i = 0; i < 3; i++) {
            gigabytesPerSecond();
        }
    }

    /** Reads the whole array once; returns the bandwidth of that read in GB/s. */
    double gigabytesPerSecond() {
        long start = System.nanoTime();
        List<Future<Float>> parts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int from = (int) ((long) data.length * t / threads);
            int to = (int) ((long) data.length * (t + 1) / threads);
            parts.add(pool.submit(() -> sum(data, from, to)));
        }
        try {
            for (Future<Float> part : parts) {
                sink += part.get();
            }
        } catch (InterruptedException | ExecutionException e) {
            throw new IllegalStateException(e);
        }
        return data.length * 4.0 / (System.nanoTime() - start);
    }

    @Override
    public void close() {
        pool.shutdownNow();
        if (sink == 42.4242f) {
            System.out.println(); // uses the sums
        }
    }

    private static float sum(float[] data, int from, int to) {
        FloatVector s0 = FloatVector.zero(SPECIES);
        FloatVector s1 = s0;
        FloatVector s2 = s0;
        FloatVector s3 = s0;
        int i = from;
        for (; i + 4 * LANES <= to; i += 4 * LANES) {
            s0 = s0.add(FloatVector.fromArray(SPECIES, data, i));
            s1 = s1.add(FloatVector.fromArray(SPECIES, data, i + LANES));
            s2 = s2.add(FloatVector.fromArray(SPECIES, data, i + 2 * LANES));
            s3 = s3.add(FloatVector.fromArray(SPECIES, data, i + 3 * LANES));
        }
        float total = s0.add(s1).add(s2.add(s3)).reduceLanes(VectorOperators.ADD);
        for (; i < to; i++) {
            total += data[i];
        }
        return total;
    }
}
