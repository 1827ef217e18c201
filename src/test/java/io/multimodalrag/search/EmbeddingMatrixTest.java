package io.multimodalrag.search;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class EmbeddingMatrixTest {

    static Stream<Arguments> randomCases() {
        List<Arguments> cases = new ArrayList<>();
        int[] ks = {1, 2, 10, 100};
        for (int dimensions : new int[] {32, 512}) {
            for (int k : ks) {
                for (int rows : new int[] {0, 1, k - 1, k, 1000, 10007}) {
                    cases.add(Arguments.of(rows, dimensions, k));
                }
            }
            for (int rows : new int[] {0, 1, 5, 1000}) {
                cases.add(Arguments.of(rows, dimensions, rows + 1));
                cases.add(Arguments.of(rows, dimensions, Integer.MAX_VALUE));
            }
        }
        return cases.stream().distinct();
    }

    @ParameterizedTest(name = "rows={0} dimensions={1} k={2}")
    @MethodSource("randomCases")
    void topKMatchesBruteForceOnRandomUnitVectors(int rows, int dimensions, int k) {
        Random random = new Random(31L * rows + 17L * dimensions + k);
        float[] data = BruteForceReference.randomUnitRows(random, rows, dimensions);
        EmbeddingMatrix matrix = EmbeddingMatrix.of(data, dimensions);
        for (int q = 0; q < 3; q++) {
            float[] query = BruteForceReference.randomUnitRows(random, 1, dimensions);
            for (float minScore : new float[] {Float.NEGATIVE_INFINITY, -1f, 0f, 0.1f, 0.25f, 2f}) {
                assertMatchesReference(matrix, data, query, k, minScore);
            }
        }
    }

    @Test
    void queryEqualToARowFindsThatRowFirst() {
        Random random = new Random(7);
        int dimensions = 512;
        float[] data = BruteForceReference.randomUnitRows(random, 500, dimensions);
        EmbeddingMatrix matrix = EmbeddingMatrix.of(data, dimensions);

        List<ScoredRow> hits = matrix.topK(matrix.row(123), 3, Float.NEGATIVE_INFINITY);

        assertEquals(123, hits.get(0).row());
        assertEquals(1f, hits.get(0).score(), 1e-5f);
    }

    @Test
    void equalScoresAreOrderedByLowerRowIndex() {
        // Basis vectors give exact scores of 0 and 1, so ties are exact whatever the summation order.
        int dimensions = 4;
        float[] data = {
                0, 1, 0, 0,
                1, 0, 0, 0,
                0, 0, 1, 0,
                1, 0, 0, 0,
                0, 1, 0, 0,
                1, 0, 0, 0,
        };
        EmbeddingMatrix matrix = EmbeddingMatrix.of(data, dimensions);
        float[] query = {1, 0, 0, 0};

        assertEquals(List.of(new ScoredRow(1, 1f), new ScoredRow(3, 1f), new ScoredRow(5, 1f),
                new ScoredRow(0, 0f), new ScoredRow(2, 0f), new ScoredRow(4, 0f)),
                matrix.topK(query, 10, Float.NEGATIVE_INFINITY));
        assertEquals(List.of(new ScoredRow(1, 1f), new ScoredRow(3, 1f)), matrix.topK(query, 2, 0f));
        assertEquals(List.of(new ScoredRow(1, 1f), new ScoredRow(3, 1f), new ScoredRow(5, 1f), new ScoredRow(0, 0f)),
                matrix.topK(query, 4, 0f));
    }

    @Test
    void tiesAcrossTheHeapBoundaryKeepTheLowestIndices() {
        // Many equal scores competing for few slots: the survivors must be the lowest indices.
        int dimensions = 2;
        int rows = 1000;
        float[] data = new float[rows * dimensions];
        for (int row = 0; row < rows; row++) {
            data[row * dimensions + (row % 3 == 0 ? 0 : 1)] = 1f;
        }
        EmbeddingMatrix matrix = EmbeddingMatrix.of(data, dimensions);

        List<ScoredRow> hits = matrix.topK(new float[] {1f, 0f}, 5, Float.NEGATIVE_INFINITY);

        assertEquals(List.of(new ScoredRow(0, 1f), new ScoredRow(3, 1f), new ScoredRow(6, 1f),
                new ScoredRow(9, 1f), new ScoredRow(12, 1f)), hits);
        List<ScoredRow> zeros = matrix.topK(new float[] {1f, 0f}, 340, Float.NEGATIVE_INFINITY).subList(334, 340);
        assertEquals(List.of(new ScoredRow(1, 0f), new ScoredRow(2, 0f), new ScoredRow(4, 0f),
                new ScoredRow(5, 0f), new ScoredRow(7, 0f), new ScoredRow(8, 0f)), zeros);
    }

    @Test
    void duplicateRowsScoreIdenticallyAndAreAllReturned() {
        Random random = new Random(11);
        int dimensions = 32;
        float[] unique = BruteForceReference.randomUnitRows(random, 50, dimensions);
        float[] duplicate = EmbeddingMatrix.of(unique, dimensions).row(17);
        EmbeddingMatrix matrix = EmbeddingMatrix.of(unique, dimensions)
                .withRowsAppended(duplicate)
                .withRowsAppended(duplicate);

        List<ScoredRow> hits = matrix.topK(duplicate, 3, Float.NEGATIVE_INFINITY);

        assertEquals(List.of(17, 50, 51), hits.stream().map(ScoredRow::row).toList());
        assertEquals(hits.get(0).score(), hits.get(1).score());
        assertEquals(hits.get(0).score(), hits.get(2).score());
    }

    @Test
    void minScoreIsInclusive() {
        EmbeddingMatrix matrix = EmbeddingMatrix.of(new float[] {1, 0, 0, 1, 0.5f, 0.5f}, 2);

        assertEquals(List.of(new ScoredRow(0, 1f), new ScoredRow(2, 0.5f)), matrix.topK(new float[] {1, 0}, 5, 0.5f));
        assertEquals(List.of(), matrix.topK(new float[] {1, 0}, 5, 1.0000001f));
    }

    @Test
    void rowsWithNaNScoresAreNeverReturned() {
        EmbeddingMatrix matrix = EmbeddingMatrix.of(new float[] {Float.NaN, 0, 1, 0}, 2);

        assertEquals(List.of(new ScoredRow(1, 1f)), matrix.topK(new float[] {1, 0}, 5, Float.NEGATIVE_INFINITY));
    }

    @Test
    void resultIsUnmodifiable() {
        EmbeddingMatrix matrix = EmbeddingMatrix.of(new float[] {1, 0}, 2);
        List<ScoredRow> hits = matrix.topK(new float[] {1, 0}, 1, Float.NEGATIVE_INFINITY);

        assertThrows(UnsupportedOperationException.class, () -> hits.add(new ScoredRow(0, 0f)));
    }

    @Test
    void emptyMatrixHasNoRowsAndFindsNothing() {
        EmbeddingMatrix matrix = EmbeddingMatrix.empty(512);

        assertEquals(0, matrix.rows());
        assertEquals(512, matrix.dimensions());
        assertEquals(List.of(), matrix.topK(new float[512], 10, Float.NEGATIVE_INFINITY));
    }

    @Test
    void rowReturnsACopy() {
        float[] data = {1, 2, 3, 4, 5, 6};
        EmbeddingMatrix matrix = EmbeddingMatrix.of(data, 3);

        float[] row = matrix.row(1);
        assertArrayEquals(new float[] {4, 5, 6}, row);
        row[0] = 99;
        assertArrayEquals(new float[] {4, 5, 6}, matrix.row(1));
    }

    @Test
    void appendingLeavesTheOriginalUnchangedAndCopiesTheArgument() {
        EmbeddingMatrix original = EmbeddingMatrix.of(new float[] {1, 0, 0, 1}, 2);
        float[] appended = {0.6f, 0.8f, 0.8f, 0.6f};

        EmbeddingMatrix grown = original.withRowsAppended(appended);
        appended[0] = 99;

        assertEquals(2, original.rows());
        assertEquals(4, grown.rows());
        assertArrayEquals(new float[] {1, 0}, grown.row(0));
        assertArrayEquals(new float[] {0, 1}, grown.row(1));
        assertArrayEquals(new float[] {0.6f, 0.8f}, grown.row(2));
        assertArrayEquals(new float[] {0.8f, 0.6f}, grown.row(3));
        assertEquals(List.of(new ScoredRow(0, 1f)), original.topK(new float[] {1, 0}, 5, 0.5f));
        assertEquals(List.of(new ScoredRow(0, 1f), new ScoredRow(3, 0.8f), new ScoredRow(2, 0.6f)),
                grown.topK(new float[] {1, 0}, 5, 0.5f));
        assertSame(grown, grown.withRowsAppended(new float[0]));
    }

    @Test
    void removingARowLeavesTheOriginalUnchangedAndShiftsLaterRows() {
        EmbeddingMatrix original = EmbeddingMatrix.of(new float[] {1, 1, 2, 2, 3, 3, 4, 4}, 2);

        EmbeddingMatrix withoutFirst = original.withoutRow(0);
        EmbeddingMatrix withoutMiddle = original.withoutRow(2);
        EmbeddingMatrix withoutLast = original.withoutRow(3);

        assertEquals(4, original.rows());
        assertArrayEquals(new float[] {1, 1}, original.row(0));
        assertArrayEquals(new float[] {3, 3}, original.row(2));
        assertRows(withoutFirst, new float[][] {{2, 2}, {3, 3}, {4, 4}});
        assertRows(withoutMiddle, new float[][] {{1, 1}, {2, 2}, {4, 4}});
        assertRows(withoutLast, new float[][] {{1, 1}, {2, 2}, {3, 3}});
        assertEquals(0, EmbeddingMatrix.of(new float[] {1, 1}, 2).withoutRow(0).rows());
    }

    @Test
    void removalAndAppendAgreeWithAMatrixBuiltFromScratch() {
        Random random = new Random(5);
        int dimensions = 32;
        float[] data = BruteForceReference.randomUnitRows(random, 200, dimensions);
        float[] extra = BruteForceReference.randomUnitRows(random, 30, dimensions);
        EmbeddingMatrix edited = EmbeddingMatrix.of(data.clone(), dimensions).withoutRow(42).withRowsAppended(extra);

        float[] expected = new float[(200 - 1 + 30) * dimensions];
        System.arraycopy(data, 0, expected, 0, 42 * dimensions);
        System.arraycopy(data, 43 * dimensions, expected, 42 * dimensions, (200 - 43) * dimensions);
        System.arraycopy(extra, 0, expected, 199 * dimensions, extra.length);
        EmbeddingMatrix fromScratch = EmbeddingMatrix.of(expected, dimensions);

        float[] query = BruteForceReference.randomUnitRows(random, 1, dimensions);
        assertEquals(fromScratch.topK(query, 20, Float.NEGATIVE_INFINITY), edited.topK(query, 20, Float.NEGATIVE_INFINITY));
    }

    @Test
    void aBatchFindsWhatEachQueryFindsAlone() {
        Random random = new Random(23);
        int dimensions = 48;
        EmbeddingMatrix matrix = EmbeddingMatrix.of(BruteForceReference.randomUnitRows(random, 700, dimensions),
                dimensions);
        float[][] queries = new float[5][];
        for (int q = 0; q < queries.length; q++) {
            queries[q] = BruteForceReference.randomUnitRows(random, 1, dimensions);
        }

        List<List<ScoredRow>> batch = matrix.topK(queries, 4, 0.1f);

        assertEquals(queries.length, batch.size());
        for (int q = 0; q < queries.length; q++) {
            assertEquals(matrix.topK(queries[q], 4, 0.1f), batch.get(q));
        }
        assertEquals(List.of(), matrix.topK(new float[0][], 4, 0.1f));
        assertEquals(List.of(List.of()), EmbeddingMatrix.empty(dimensions).topK(new float[][] {queries[0]}, 4, 0f));
        assertThrows(UnsupportedOperationException.class, () -> batch.add(List.of()));
    }

    @Test
    void badArgumentsAreRejected() {
        EmbeddingMatrix matrix = EmbeddingMatrix.of(new float[] {1, 0, 0, 1}, 2);

        assertThrows(IllegalArgumentException.class, () -> EmbeddingMatrix.empty(0));
        assertThrows(IllegalArgumentException.class, () -> EmbeddingMatrix.empty(-1));
        assertThrows(IllegalArgumentException.class, () -> EmbeddingMatrix.of(new float[4], 0));
        assertThrows(IllegalArgumentException.class, () -> EmbeddingMatrix.of(new float[5], 2));
        assertThrows(NullPointerException.class, () -> EmbeddingMatrix.of(null, 2));

        assertThrows(IllegalArgumentException.class, () -> matrix.topK(new float[3], 1, 0f));
        assertThrows(IllegalArgumentException.class, () -> matrix.topK(new float[1], 1, 0f));
        assertThrows(IllegalArgumentException.class, () -> EmbeddingMatrix.empty(2).topK(new float[3], 1, 0f));
        assertThrows(IllegalArgumentException.class, () -> matrix.topK(new float[2], 0, 0f));
        assertThrows(IllegalArgumentException.class, () -> matrix.topK(new float[2], -5, 0f));
        assertThrows(IllegalArgumentException.class, () -> matrix.topK(new float[2], 1, Float.NaN));
        assertThrows(NullPointerException.class, () -> matrix.topK((float[]) null, 1, 0f));

        assertThrows(NullPointerException.class, () -> matrix.topK((float[][]) null, 1, 0f));
        assertThrows(NullPointerException.class, () -> matrix.topK(new float[][] {new float[2], null}, 1, 0f));
        assertThrows(IllegalArgumentException.class,
                () -> matrix.topK(new float[][] {new float[2], new float[3]}, 1, 0f));
        assertThrows(IllegalArgumentException.class, () -> matrix.topK(new float[][] {new float[2]}, 0, 0f));
        assertThrows(IllegalArgumentException.class, () -> matrix.topK(new float[][] {new float[2]}, 1, Float.NaN));
        assertThrows(NullPointerException.class, () -> EmbeddingMatrix.of(new float[2], 2, null));

        assertThrows(IndexOutOfBoundsException.class, () -> matrix.row(-1));
        assertThrows(IndexOutOfBoundsException.class, () -> matrix.row(2));
        assertThrows(IndexOutOfBoundsException.class, () -> matrix.withoutRow(-1));
        assertThrows(IndexOutOfBoundsException.class, () -> matrix.withoutRow(2));
        assertThrows(IndexOutOfBoundsException.class, () -> EmbeddingMatrix.empty(2).withoutRow(0));
        assertThrows(IllegalArgumentException.class, () -> matrix.withRowsAppended(new float[3]));
        assertThrows(NullPointerException.class, () -> matrix.withRowsAppended(null));
    }

    /** Compares {@code topK} with the brute-force reference in double precision. */
    @ParameterizedTest(name = "segments of {0} rows")
    @ValueSource(ints = {1, 2, 3, 7, 64})
    void appendsAndRemovalsInAnyOrderKeepEveryVersionExact(int segmentRows) {
        Random random = new Random(1000L + segmentRows);
        int dimensions = 8;
        MatrixScanner scanner = new MatrixScanner(InnerProductKernel.fastestAvailable(), 3, 1); // split every search
        EmbeddingMatrix matrix = EmbeddingMatrix.empty(dimensions, segmentRows, scanner);
        List<float[]> rows = new ArrayList<>();
        List<EmbeddingMatrix> versions = new ArrayList<>();
        List<List<float[]>> versionRows = new ArrayList<>();
        for (int step = 0; step < 400; step++) {
            if (rows.isEmpty() || random.nextInt(3) > 0) {
                int adding = 1 + random.nextInt(segmentRows * 2 + 1);
                float[] added = BruteForceReference.randomUnitRows(random, adding, dimensions);
                matrix = matrix.withRowsAppended(added);
                for (int r = 0; r < adding; r++) {
                    rows.add(java.util.Arrays.copyOfRange(added, r * dimensions, (r + 1) * dimensions));
                }
            } else {
                int removed = random.nextInt(rows.size());
                matrix = matrix.withoutRow(removed);
                rows.remove(removed);
            }
            if (step % 40 == 0) {
                versions.add(matrix);
                versionRows.add(new ArrayList<>(rows));
            }
            assertRows(matrix, rows.toArray(new float[0][]));
            float[] query = BruteForceReference.randomUnitRows(random, 1, dimensions);
            assertMatchesReference(matrix, flatten(rows, dimensions), query, 5, Float.NEGATIVE_INFINITY);
        }
        // Every earlier version still holds what it held: later appends wrote only rows no version had.
        for (int v = 0; v < versions.size(); v++) {
            assertRows(versions.get(v), versionRows.get(v).toArray(new float[0][]));
            float[] query = BruteForceReference.randomUnitRows(random, 1, dimensions);
            assertMatchesReference(versions.get(v), flatten(versionRows.get(v), dimensions), query, 7, -1f);
        }
    }

    @Test
    void twoAppendsToTheSameVersionDoNotSeeEachOther() {
        EmbeddingMatrix base = EmbeddingMatrix.of(new float[] {1, 0, 0, 1}, 2, 4, MatrixScanner.shared());
        EmbeddingMatrix left = base.withRowsAppended(new float[] {0.6f, 0.8f});
        EmbeddingMatrix right = base.withRowsAppended(new float[] {-1, 0});
        assertArrayEquals(new float[] {0.6f, 0.8f}, left.row(2));
        assertArrayEquals(new float[] {-1, 0}, right.row(2));
        assertEquals(2, base.rows());
        EmbeddingMatrix leftAgain = left.withRowsAppended(new float[] {0, -1});
        assertArrayEquals(new float[] {0.6f, 0.8f}, leftAgain.row(2));
        assertArrayEquals(new float[] {0, -1}, leftAgain.row(3));
        assertArrayEquals(new float[] {-1, 0}, right.row(2));
    }

    @Test
    void aChangeCopiesOnlyTheSegmentItTouches() {
        Random random = new Random(5);
        EmbeddingMatrix matrix = EmbeddingMatrix.of(BruteForceReference.randomUnitRows(random, 95, 4), 4, 10,
                MatrixScanner.shared());
        assertEquals(10, matrix.segmentCount());
        EmbeddingMatrix appended = matrix.withRowsAppended(BruteForceReference.randomUnitRows(random, 1, 4));
        for (int s = 0; s < 10; s++) {
            assertSame(matrix.segmentArray(s), appended.segmentArray(s), "an append into free rows writes in place");
        }
        EmbeddingMatrix removed = appended.withoutRow(42);
        for (int s = 0; s < 10; s++) {
            if (s == 4) {
                assertTrue(removed.segmentArray(s) != appended.segmentArray(s), "the segment of row 42 is a copy");
            } else {
                assertSame(appended.segmentArray(s), removed.segmentArray(s), "segment " + s);
            }
        }
    }

    @Test
    void segmentsStayAtLeastHalfFullOnAverageThroughRemovals() {
        Random random = new Random(9);
        EmbeddingMatrix matrix = EmbeddingMatrix.of(BruteForceReference.randomUnitRows(random, 1000, 4), 4, 16,
                MatrixScanner.shared());
        while (matrix.rows() > 100) {
            matrix = matrix.withoutRow(random.nextInt(matrix.rows()));
            assertTrue(matrix.segmentCount() <= 2 * (matrix.rows() / 8) + 2,
                    matrix.segmentCount() + " segments for " + matrix.rows() + " rows");
        }
        while (matrix.rows() > 0) {
            matrix = matrix.withoutRow(random.nextInt(matrix.rows()));
        }
        assertEquals(0, matrix.segmentCount());
    }

    @Test
    void aBuilderWritesRowsStraightIntoSegmentsAndSkipsRowsNotWritten() {
        EmbeddingMatrix.Builder builder = EmbeddingMatrix.builder(2, MatrixScanner.shared());
        for (int i = 0; i < 5; i++) {
            int value = i;
            builder.appendRow((target, offset) -> {
                if (value == 2) {
                    return false; // a row its writer turns out not to have
                }
                target[offset] = value;
                target[offset + 1] = 1;
                return true;
            });
        }
        EmbeddingMatrix matrix = builder.build();
        assertRows(matrix, new float[][] {{0, 1}, {1, 1}, {3, 1}, {4, 1}});
        assertEquals(0, EmbeddingMatrix.builder(2, MatrixScanner.shared()).build().rows());
    }

    private static float[] flatten(List<float[]> rows, int dimensions) {
        float[] data = new float[rows.size() * dimensions];
        for (int r = 0; r < rows.size(); r++) {
            System.arraycopy(rows.get(r), 0, data, r * dimensions, dimensions);
        }
        return data;
    }

    private static void assertMatchesReference(EmbeddingMatrix matrix, float[] data, float[] query, int k,
            float minScore) {
        String context = "rows=" + matrix.rows() + " dimensions=" + query.length + " k=" + k + " minScore=" + minScore;
        BruteForceReference.assertTopK(matrix.topK(query, k, minScore), BruteForceReference.scores(data, query), k,
                minScore, context);
    }

    private static void assertRows(EmbeddingMatrix matrix, float[][] expected) {
        assertEquals(expected.length, matrix.rows());
        for (int row = 0; row < expected.length; row++) {
            assertArrayEquals(expected[row], matrix.row(row));
        }
    }
}
