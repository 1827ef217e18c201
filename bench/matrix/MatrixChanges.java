import io.multimodalrag.search.EmbeddingMatrix;
import io.multimodalrag.search.MatrixScanner;
import java.util.Arrays;
import java.util.Random;

/**
 * What one change costs an EmbeddingMatrix of ROWS rows: appending one row, and removing one at a random place, each
 * made on the matrix the previous change returned (as the knowledge base does), after WARMUP unmeasured changes of
 * each kind. Prints one JSON line: microseconds per append and per removal (median and p99), and the same for an empty
 * matrix grown by the same appends, as the baseline the goal is stated against.
 *
 * <pre>
 * java --add-modules=jdk.incubator.vector -Xmx6g -cp target/classes bench/matrix/MatrixChanges.java ROWS DIMENSIONS CHANGES
 * </pre>
 */
public final class MatrixChanges {

    public static void main(String[] args) {
        int rows = Integer.parseInt(args[0]);
        int dimensions = Integer.parseInt(args[1]);
        int changes = Integer.parseInt(args[2]);
        Random random = new Random(42);
        float[] data = new float[rows * dimensions];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) random.nextGaussian();
        }
        float[] row = Arrays.copyOf(data, dimensions);
        EmbeddingMatrix large = EmbeddingMatrix.of(data, dimensions, MatrixScanner.shared());
        data = null; // only the matrix's copy stays
        EmbeddingMatrix small = EmbeddingMatrix.of(new float[0], dimensions, MatrixScanner.shared());
        int warmUp = Math.max(5, changes / 5);
        long[] appendLarge = new long[changes];
        long[] removeLarge = new long[changes];
        long[] appendEmpty = new long[changes];
        for (int i = -warmUp; i < changes; i++) {
            long started = System.nanoTime();
            large = large.withRowsAppended(row);
            long appended = System.nanoTime();
            large = large.withoutRow(random.nextInt(large.rows()));
            long removed = System.nanoTime();
            small = small.withRowsAppended(row);
            long grown = System.nanoTime();
            if (i >= 0) {
                appendLarge[i] = appended - started;
                removeLarge[i] = removed - appended;
                appendEmpty[i] = grown - removed;
            }
        }
        System.out.printf("{\"rows\":%d,\"dimensions\":%d,\"changes\":%d,\"appendUs\":%s,\"removeUs\":%s,"
                + "\"appendIntoEmptyUs\":%s,\"rowsAfter\":%d}%n", rows, dimensions, changes, stats(appendLarge),
                stats(removeLarge), stats(appendEmpty), large.rows());
    }

    private static String stats(long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        return String.format("{\"p50\":%.1f,\"p99\":%.1f}", sorted[sorted.length / 2] / 1e3,
                sorted[Math.min(sorted.length - 1, (int) (sorted.length * 0.99))] / 1e3);
    }
}
