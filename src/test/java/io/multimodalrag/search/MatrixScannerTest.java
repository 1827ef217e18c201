package io.multimodalrag.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Searches through every kernel, on one thread and split across threads (with a threshold of zero, so that small
 * matrices take the parallel path), against the brute-force reference and against each other.
 */
class MatrixScannerTest {

    private static final List<MatrixScanner> OPENED = new ArrayList<>();

    @AfterAll
    static void closeScanners() {
        OPENED.forEach(MatrixScanner::close);
    }

    private static MatrixScanner scanner(InnerProductKernel kernel, int threads) {
        MatrixScanner scanner = new MatrixScanner(kernel, threads, 0);
        OPENED.add(scanner);
        return scanner;
    }

    static List<Named<MatrixScanner>> scanners() {
        List<Named<MatrixScanner>> scanners = new ArrayList<>();
        for (Named<InnerProductKernel> kernel : InnerProductKernelTest.kernels()) {
            scanners.add(Named.of(kernel.getName() + ", 1 thread", scanner(kernel.getPayload(), 1)));
            scanners.add(Named.of(kernel.getName() + ", 3 threads", scanner(kernel.getPayload(), 3)));
        }
        return scanners;
    }

    static Stream<Arguments> randomCases() {
        List<Arguments> cases = new ArrayList<>();
        for (Named<MatrixScanner> scanner : scanners()) {
            for (int dimensions : new int[] {1, 31, 32, 33, 512, 513}) {
                for (int rows : new int[] {0, 1, 5, 13, 1000}) {
                    for (int k : new int[] {1, 10, rows + 1}) {
                        cases.add(Arguments.of(scanner, dimensions, rows, k));
                    }
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}, dimensions={1} rows={2} k={3}")
    @MethodSource("randomCases")
    void topKMatchesTheReference(MatrixScanner scanner, int dimensions, int rows, int k) {
        Random random = new Random(31L * rows + 17L * dimensions + k);
        float[] data = BruteForceReference.randomUnitRows(random, rows, dimensions);
        EmbeddingMatrix matrix = EmbeddingMatrix.of(data, dimensions, scanner);
        float[][] queries = new float[3][];
        for (int q = 0; q < queries.length; q++) {
            queries[q] = BruteForceReference.randomUnitRows(random, 1, dimensions);
        }
        for (float minScore : new float[] {Float.NEGATIVE_INFINITY, -0.05f, 0f, 0.1f, 2f}) {
            List<List<ScoredRow>> batch = matrix.topK(queries, k, minScore);
            for (int q = 0; q < queries.length; q++) {
                List<ScoredRow> single = matrix.topK(queries[q], k, minScore);
                String context = scanner + " rows=" + rows + " dimensions=" + dimensions + " k=" + k
                        + " minScore=" + minScore + " query=" + q;
                BruteForceReference.assertTopK(single, BruteForceReference.scores(data, queries[q]), k, minScore,
                        context);
                assertEquals(single, batch.get(q), context);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scanners")
    void batchesLargerThanAQueryBlockEqualSingleQueries(MatrixScanner scanner) {
        Random random = new Random(3);
        int dimensions = 37;
        EmbeddingMatrix matrix = EmbeddingMatrix.of(BruteForceReference.randomUnitRows(random, 3001, dimensions),
                dimensions, scanner);
        float[][] queries = new float[150][];
        for (int q = 0; q < queries.length; q++) {
            queries[q] = BruteForceReference.randomUnitRows(random, 1, dimensions);
        }

        List<List<ScoredRow>> batch = matrix.topK(queries, 7, 0.05f);

        for (int q = 0; q < queries.length; q++) {
            assertEquals(matrix.topK(queries[q], 7, 0.05f), batch.get(q), "query " + q);
        }
    }

    @Test
    void threadsChangeNothingInTheResult() {
        Random random = new Random(9);
        int dimensions = 512;
        float[] data = BruteForceReference.randomUnitRows(random, 4099, dimensions);
        float[][] queries = new float[10][];
        for (int q = 0; q < queries.length; q++) {
            queries[q] = BruteForceReference.randomUnitRows(random, 1, dimensions);
        }
        for (Named<InnerProductKernel> kernel : InnerProductKernelTest.kernels()) {
            List<List<ScoredRow>> oneThread = EmbeddingMatrix.of(data, dimensions, scanner(kernel.getPayload(), 1))
                    .topK(queries, 25, Float.NEGATIVE_INFINITY);
            for (int threads : new int[] {2, 3, 8}) {
                assertEquals(oneThread, EmbeddingMatrix.of(data, dimensions, scanner(kernel.getPayload(), threads))
                        .topK(queries, 25, Float.NEGATIVE_INFINITY), kernel.getName() + ", " + threads + " threads");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scanners")
    void tiesSplitAcrossThreadsKeepTheLowestIndices(MatrixScanner scanner) {
        // Exact scores of 1 and 0 in every chunk: the merge must keep the lowest indices, as one thread would.
        int dimensions = 2;
        int rows = 1000;
        float[] data = new float[rows * dimensions];
        for (int row = 0; row < rows; row++) {
            data[row * dimensions + (row % 3 == 0 ? 0 : 1)] = 1f;
        }
        EmbeddingMatrix matrix = EmbeddingMatrix.of(data, dimensions, scanner);

        assertEquals(List.of(new ScoredRow(0, 1f), new ScoredRow(3, 1f), new ScoredRow(6, 1f),
                new ScoredRow(9, 1f), new ScoredRow(12, 1f)), matrix.topK(new float[] {1f, 0f}, 5, 0f));
        List<ScoredRow> zeros = matrix.topK(new float[] {1f, 0f}, 340, Float.NEGATIVE_INFINITY).subList(334, 340);
        assertEquals(List.of(new ScoredRow(1, 0f), new ScoredRow(2, 0f), new ScoredRow(4, 0f),
                new ScoredRow(5, 0f), new ScoredRow(7, 0f), new ScoredRow(8, 0f)), zeros);
    }

    @Test
    void concurrentSearchesOnOnePoolAllGetTheirOwnResults() throws Exception {
        Random random = new Random(12);
        int dimensions = 64;
        float[] data = BruteForceReference.randomUnitRows(random, 5000, dimensions);
        InnerProductKernel kernel = InnerProductKernel.fastestAvailable();
        EmbeddingMatrix shared = EmbeddingMatrix.of(data, dimensions, scanner(kernel, 2));
        EmbeddingMatrix alone = EmbeddingMatrix.of(data, dimensions, scanner(kernel, 1));
        float[][] queries = new float[64][];
        for (int q = 0; q < queries.length; q++) {
            queries[q] = BruteForceReference.randomUnitRows(random, 1, dimensions);
        }
        ExecutorService callers = Executors.newFixedThreadPool(8);
        try {
            List<Future<List<ScoredRow>>> results = new ArrayList<>();
            for (float[] query : queries) {
                results.add(callers.submit(() -> shared.topK(query, 5, Float.NEGATIVE_INFINITY)));
            }
            for (int q = 0; q < queries.length; q++) {
                assertEquals(alone.topK(queries[q], 5, Float.NEGATIVE_INFINITY), results.get(q).get(), "query " + q);
            }
        } finally {
            callers.shutdownNow();
        }
    }

    @Test
    void aClosedScannerStillSearchesOnTheCallersThread() {
        Random random = new Random(4);
        int dimensions = 16;
        float[] data = BruteForceReference.randomUnitRows(random, 500, dimensions);
        float[] query = BruteForceReference.randomUnitRows(random, 1, dimensions);
        InnerProductKernel kernel = InnerProductKernel.fastestAvailable();
        MatrixScanner closed = scanner(kernel, 4);
        List<ScoredRow> before = EmbeddingMatrix.of(data, dimensions, closed).topK(query, 10, 0f);

        closed.close();

        assertEquals(before, EmbeddingMatrix.of(data, dimensions, closed).topK(query, 10, 0f));
        assertEquals(EmbeddingMatrix.of(data, dimensions, scanner(kernel, 1)).topK(query, 10, 0f), before);
    }

    @Test
    void aScannerNeedsAtLeastOneThread() {
        assertThrows(IllegalArgumentException.class, () -> MatrixScanner.create(0));
        assertEquals(1, MatrixScanner.create(1).threads());
    }
}
