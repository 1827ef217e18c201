package io.multimodalrag.search;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class EmbeddingMatrixTest {

    /**
     * Allowed gap between a float score and the double-precision reference. Float accumulation over 512 unit-length
     * components errs by about 1e-6; the margin also leaves room for a future vectorised scan summing in another order.
     */
    private static final double SCORE_TOLERANCE = 1e-5;

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
        float[] data = randomUnitRows(random, rows, dimensions);
        EmbeddingMatrix matrix = EmbeddingMatrix.of(data, dimensions);
        for (int q = 0; q < 3; q++) {
            float[] query = randomUnitRows(random, 1, dimensions);
            for (float minScore : new float[] {Float.NEGATIVE_INFINITY, -1f, 0f, 0.1f, 0.25f, 2f}) {
                assertMatchesReference(matrix, data, query, k, minScore);
            }
        }
    }

    @Test
    void queryEqualToARowFindsThatRowFirst() {
        Random random = new Random(7);
        int dimensions = 512;
        float[] data = randomUnitRows(random, 500, dimensions);
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
        float[] unique = randomUnitRows(random, 50, dimensions);
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
        float[] data = randomUnitRows(random, 200, dimensions);
        float[] extra = randomUnitRows(random, 30, dimensions);
        EmbeddingMatrix edited = EmbeddingMatrix.of(data.clone(), dimensions).withoutRow(42).withRowsAppended(extra);

        float[] expected = new float[(200 - 1 + 30) * dimensions];
        System.arraycopy(data, 0, expected, 0, 42 * dimensions);
        System.arraycopy(data, 43 * dimensions, expected, 42 * dimensions, (200 - 43) * dimensions);
        System.arraycopy(extra, 0, expected, 199 * dimensions, extra.length);
        EmbeddingMatrix fromScratch = EmbeddingMatrix.of(expected, dimensions);

        float[] query = randomUnitRows(random, 1, dimensions);
        assertEquals(fromScratch.topK(query, 20, Float.NEGATIVE_INFINITY), edited.topK(query, 20, Float.NEGATIVE_INFINITY));
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
        assertThrows(NullPointerException.class, () -> matrix.topK(null, 1, 0f));

        assertThrows(IndexOutOfBoundsException.class, () -> matrix.row(-1));
        assertThrows(IndexOutOfBoundsException.class, () -> matrix.row(2));
        assertThrows(IndexOutOfBoundsException.class, () -> matrix.withoutRow(-1));
        assertThrows(IndexOutOfBoundsException.class, () -> matrix.withoutRow(2));
        assertThrows(IndexOutOfBoundsException.class, () -> EmbeddingMatrix.empty(2).withoutRow(0));
        assertThrows(IllegalArgumentException.class, () -> matrix.withRowsAppended(new float[3]));
        assertThrows(NullPointerException.class, () -> matrix.withRowsAppended(null));
    }

    /**
     * Compares {@code topK} with a brute-force reference: every score in double precision, fully sorted. Each position
     * must hold a distinct row whose reference score is within tolerance of the reference's score at that position, so
     * near-ties may swap, nothing else may.
     */
    private static void assertMatchesReference(EmbeddingMatrix matrix, float[] data, float[] query, int k,
            float minScore) {
        int dimensions = query.length;
        int rows = data.length / dimensions;
        double[] reference = new double[rows];
        List<Integer> qualifying = new ArrayList<>();
        for (int row = 0; row < rows; row++) {
            double score = 0;
            for (int i = 0; i < dimensions; i++) {
                score += (double) data[row * dimensions + i] * query[i];
            }
            reference[row] = score;
            if (score >= minScore) {
                qualifying.add(row);
            }
        }
        qualifying.sort(Comparator.<Integer>comparingDouble(row -> reference[row]).reversed()
                .thenComparing(Comparator.naturalOrder()));
        List<Integer> expected = qualifying.subList(0, Math.min(k, qualifying.size()));

        List<ScoredRow> actual = matrix.topK(query, k, minScore);

        String context = "rows=" + rows + " dimensions=" + dimensions + " k=" + k + " minScore=" + minScore;
        assertEquals(expected.size(), actual.size(), context);
        Set<Integer> seen = new HashSet<>();
        for (int position = 0; position < actual.size(); position++) {
            final int i = position;
            ScoredRow hit = actual.get(i);
            assertTrue(seen.add(hit.row()), () -> "row returned twice: " + hit + ", " + context);
            assertTrue(hit.score() >= minScore, () -> "below minScore: " + hit + ", " + context);
            double expectedScore = reference[expected.get(i)];
            assertEquals(reference[hit.row()], hit.score(), SCORE_TOLERANCE, context);
            assertEquals(expectedScore, reference[hit.row()], SCORE_TOLERANCE, () -> "position " + i + ", " + context);
            if (i > 0) {
                ScoredRow previous = actual.get(i - 1);
                assertTrue(previous.score() > hit.score()
                        || (previous.score() == hit.score() && previous.row() < hit.row()),
                        () -> "out of order at " + i + ": " + previous + " then " + hit + ", " + context);
            }
        }
    }

    private static void assertRows(EmbeddingMatrix matrix, float[][] expected) {
        assertEquals(expected.length, matrix.rows());
        for (int row = 0; row < expected.length; row++) {
            assertArrayEquals(expected[row], matrix.row(row));
        }
    }

    /** Rows of Gaussian components scaled to unit length, which spreads them uniformly over the sphere. */
    private static float[] randomUnitRows(Random random, int rows, int dimensions) {
        float[] data = new float[rows * dimensions];
        for (int row = 0; row < rows; row++) {
            double norm = 0;
            for (int i = 0; i < dimensions; i++) {
                double value = random.nextGaussian();
                data[row * dimensions + i] = (float) value;
                norm += value * value;
            }
            float scale = (float) (1 / Math.sqrt(norm));
            for (int i = 0; i < dimensions; i++) {
                data[row * dimensions + i] *= scale;
            }
        }
        return data;
    }
}
