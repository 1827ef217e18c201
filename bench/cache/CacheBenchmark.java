import io.multimodalrag.search.EmbeddingCache;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;

/**
 * One process of bench/cache/run.sh: times single adds to an embedding cache of N entries, or measures the heap that
 * an opened cache of N entries holds. Which {@code EmbeddingCache} it runs is the classpath's choice: run.sh puts the
 * main branch's class first for "before".
 *
 * <pre>
 *   CacheBenchmark seed DIR N           writes a cache of N random 512-dimension entries into DIR (fresh)
 *   CacheBenchmark add DIR N ADDS       opens DIR's cache, then times ADDS adds (put + save) after 3 unmeasured ones
 *   CacheBenchmark heap DIR N           heap used after opening DIR's cache, against before (serial GC, after GCs)
 * </pre>
 *
 * run.sh measures the heap before the adds, so that the cache holds exactly the N seeded entries. Prints one line per measurement: {@code RESULT <what> <N> <value>}.
 */
public final class CacheBenchmark {

    static final String FINGERPRINT = "c0ffee00".repeat(8);
    static final int DIMENSIONS = 512;

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        Path dir = Path.of(args[1]);
        int n = Integer.parseInt(args[2]);
        switch (mode) {
            case "seed" -> seed(dir, n);
            case "add" -> add(dir, n, Integer.parseInt(args[3]));
            case "heap" -> heap(dir, n);
            default -> throw new IllegalArgumentException(mode);
        }
    }

    static void seed(Path dir, int n) throws Exception {
        if (Files.exists(dir)) {
            try (var files = Files.list(dir)) {
                for (Path file : files.toList()) {
                    Files.delete(file);
                }
            }
        }
        Random random = new Random(n);
        EmbeddingCache cache = EmbeddingCache.open(dir, FINGERPRINT, DIMENSIONS);
        for (int i = 0; i < n; i++) {
            cache.put(hash(random), vector(random));
        }
        cache.save();
    }

    static void add(Path dir, int n, int adds) {
        long started = System.nanoTime();
        EmbeddingCache cache = EmbeddingCache.open(dir, FINGERPRINT, DIMENSIONS);
        double openMs = (System.nanoTime() - started) / 1e6;
        if (cache.size() != n) {
            throw new IllegalStateException("expected " + n + " entries, found " + cache.size());
        }
        Random random = new Random(-n);
        double[] ms = new double[adds];
        for (int i = -3; i < adds; i++) {
            String hash = hash(random);
            float[] vector = vector(random);
            long start = System.nanoTime();
            cache.put(hash, vector);
            cache.save();
            if (i >= 0) {
                ms[i] = (System.nanoTime() - start) / 1e6;
            }
        }
        Arrays.sort(ms);
        System.out.printf("RESULT open-ms %d %.1f%n", n, openMs);
        System.out.printf("RESULT add-median-ms %d %.3f%n", n, ms[adds / 2]);
        System.out.printf("RESULT add-min-ms %d %.3f%n", n, ms[0]);
        System.out.printf("RESULT add-max-ms %d %.3f%n", n, ms[adds - 1]);
    }

    static void heap(Path dir, int n) {
        // Classes and logging initialised first, so that the difference is the loaded cache alone.
        EmbeddingCache.open(dir.resolveSibling(dir.getFileName() + "-missing"), FINGERPRINT, DIMENSIONS);
        long before = usedAfterGc();
        EmbeddingCache cache = EmbeddingCache.open(dir, FINGERPRINT, DIMENSIONS);
        long after = usedAfterGc();
        if (cache.size() != n) {
            throw new IllegalStateException("expected " + n + " entries, found " + cache.size());
        }
        System.out.printf("RESULT heap-mb %d %.2f%n", n, (after - before) / 1e6);
        System.out.printf("RESULT matrix-mb %d %.2f%n", n, (double) n * DIMENSIONS * Float.BYTES / 1e6);
        java.lang.ref.Reference.reachabilityFence(cache);
    }

    static long usedAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    static String hash(Random random) {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    static float[] vector(Random random) {
        float[] vector = new float[DIMENSIONS];
        double norm = 0;
        for (int i = 0; i < DIMENSIONS; i++) {
            vector[i] = (float) random.nextGaussian();
            norm += vector[i] * vector[i];
        }
        for (int i = 0; i < DIMENSIONS; i++) {
            vector[i] /= (float) Math.sqrt(norm);
        }
        return vector;
    }
}
