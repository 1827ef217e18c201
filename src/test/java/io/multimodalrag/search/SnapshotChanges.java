package io.multimodalrag.search;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * What one add costs the knowledge base's snapshot of ROWS entries (index and matrix, 512 dimensions; no embedding, no
 * files), against the same add into an empty snapshot, after WARMUP unmeasured adds; and, for comparison, what the
 * former snapshot did on every write (the entry list copied and the id and content maps rebuilt; the matrix copy it
 * also made is measured by bench/matrix/run.sh). The program behind bench/matrix/snapshot.sh; prints one JSON line of
 * microseconds (median and p99).
 *
 * <pre>
 * java -Xmx6g -cp target/classes:target/test-classes:DEPENDENCIES io.multimodalrag.search.SnapshotChanges ROWS ADDS
 * </pre>
 */
public final class SnapshotChanges {

    private static final int DIMENSIONS = 512;

    public static void main(String[] args) {
        int rows = Integer.parseInt(args[0]);
        int adds = Integer.parseInt(args[1]);
        Random random = new Random(42);
        List<KnowledgeBaseEntry> entries = new ArrayList<>(rows);
        EmbeddingMatrix.Builder matrix = EmbeddingMatrix.builder(DIMENSIONS, MatrixScanner.shared());
        for (int i = 0; i < rows; i++) {
            entries.add(entry(i));
            matrix.appendRow((target, offset) -> {
                for (int d = 0; d < DIMENSIONS; d++) {
                    target[offset + d] = (float) random.nextGaussian();
                }
                return true;
            });
        }
        KnowledgeBaseSnapshot large = KnowledgeBaseSnapshot.of(entries, matrix.build());
        KnowledgeBaseSnapshot empty = KnowledgeBaseSnapshot.of(List.of(), EmbeddingMatrix.empty(DIMENSIONS));
        float[] vector = new float[DIMENSIONS];
        int warmUp = Math.max(10, adds / 5);
        long[] intoLarge = new long[adds];
        long[] intoEmpty = new long[adds];
        long[] former = new long[Math.min(adds, 20)];
        for (int i = -warmUp; i < adds; i++) {
            KnowledgeBaseEntry added = entry(rows + warmUp + i);
            long started = System.nanoTime();
            large = large.plus(added, vector);
            long grown = System.nanoTime();
            empty = empty.plus(added, vector);
            long small = System.nanoTime();
            if (i >= 0) {
                intoLarge[i] = grown - started;
                intoEmpty[i] = small - grown;
            }
        }
        List<KnowledgeBaseEntry> formerEntries = List.copyOf(large.entries()); // as the former snapshot held them
        for (int i = 0; i < former.length; i++) {
            long started = System.nanoTime();
            formerIndexes(formerEntries);
            former[i] = System.nanoTime() - started;
        }
        System.out.printf("{\"rows\":%d,\"adds\":%d,\"addUs\":%s,\"addIntoEmptyUs\":%s,\"formerIndexRebuildUs\":%s}%n",
                rows, adds, stats(intoLarge), stats(intoEmpty), stats(former));
    }

    private static KnowledgeBaseEntry entry(int n) {
        String hash = String.format("%064x", n);
        return new KnowledgeBaseEntry("image-" + n, "image_database/" + hash.substring(48) + ".jpg", "description " + n,
                hash, "image/jpeg", Path.of("image_database/" + hash.substring(48) + ".jpg"));
    }

    /** What the snapshot did on every write before it became persistent: a copy and two maps of every entry. */
    private static Object formerIndexes(List<KnowledgeBaseEntry> entries) {
        List<KnowledgeBaseEntry> copy = new ArrayList<>(entries);
        Map<String, Integer> byId = new HashMap<>();
        Map<String, Integer> byHash = new HashMap<>();
        for (int i = 0; i < copy.size(); i++) {
            byId.put(copy.get(i).id(), i);
            byHash.putIfAbsent(copy.get(i).contentHash(), i);
        }
        return List.of(List.copyOf(copy), Map.copyOf(byId), Map.copyOf(byHash));
    }

    private static String stats(long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        return String.format("{\"p50\":%.1f,\"p99\":%.1f}", sorted[sorted.length / 2] / 1e3,
                sorted[Math.min(sorted.length - 1, (int) (sorted.length * 0.99))] / 1e3);
    }
}
