package io.multimodalrag.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * The reference that search results are held to: every score in double precision, fully sorted, and random unit
 * vectors to search.
 */
final class BruteForceReference {

    /**
     * Allowed gap between a float score and the double-precision reference. Float accumulation over 512 unit-length
     * components errs by about 1e-7 to 1e-6, in whatever order the kernel sums.
     */
    static final double SCORE_TOLERANCE = 1e-5;

    private BruteForceReference() {
    }

    /** Every row's inner product with the query, in double precision. */
    static double[] scores(float[] data, float[] query) {
        int dimensions = query.length;
        double[] reference = new double[data.length / dimensions];
        for (int row = 0; row < reference.length; row++) {
            double score = 0;
            for (int i = 0; i < dimensions; i++) {
                score += (double) data[row * dimensions + i] * query[i];
            }
            reference[row] = score;
        }
        return reference;
    }

    /**
     * Checks a top-k result against the reference scores: each position must hold a distinct row whose reference
     * score is within tolerance of the reference's score at that position, so near-ties may swap, nothing else may;
     * the list is ordered by float score, equal scores by lower row; nothing is below {@code minScore}.
     */
    static void assertTopK(List<ScoredRow> actual, double[] reference, int k, float minScore, String context) {
        List<Integer> qualifying = new ArrayList<>();
        for (int row = 0; row < reference.length; row++) {
            if (reference[row] >= minScore) {
                qualifying.add(row);
            }
        }
        qualifying.sort(Comparator.<Integer>comparingDouble(row -> reference[row]).reversed()
                .thenComparing(Comparator.naturalOrder()));
        List<Integer> expected = qualifying.subList(0, Math.min(k, qualifying.size()));

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

    /** Rows of Gaussian components scaled to unit length, which spreads them uniformly over the sphere. */
    static float[] randomUnitRows(Random random, int rows, int dimensions) {
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
