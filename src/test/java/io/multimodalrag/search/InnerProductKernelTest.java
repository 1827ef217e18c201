package io.multimodalrag.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.multimodalrag.vector.VectorModule;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Both kernels against a double-precision reference, at dimensions around the vector lane counts (4, 8, 16) and with
 * row and query counts that leave partial blocks. Surefire starts the JVM with the Vector API module, so both run.
 */
class InnerProductKernelTest {

    private static final int[] DIMENSIONS = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 512, 513};

    static boolean vectorModuleLoaded() {
        return VectorModule.loaded();
    }

    static List<Named<InnerProductKernel>> kernels() {
        List<Named<InnerProductKernel>> kernels = new ArrayList<>();
        kernels.add(Named.of("scalar", InnerProductKernel.choose(false)));
        if (vectorModuleLoaded()) {
            kernels.add(Named.of("vector", InnerProductKernel.choose(true)));
        }
        return kernels;
    }

    static Stream<Arguments> kernelsAndDimensions() {
        List<Arguments> cases = new ArrayList<>();
        for (Named<InnerProductKernel> kernel : kernels()) {
            for (int dimensions : DIMENSIONS) {
                cases.add(Arguments.of(kernel, dimensions));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}, dimensions={1}")
    @MethodSource("kernelsAndDimensions")
    void unitVectorScoresMatchTheReference(InnerProductKernel kernel, int dimensions) {
        Random random = new Random(dimensions);
        int rows = 11;
        float[] matrix = BruteForceReference.randomUnitRows(random, rows + 2, dimensions);
        float[][] queries = new float[7][];
        for (int q = 0; q < queries.length; q++) {
            queries[q] = BruteForceReference.randomUnitRows(random, 1, dimensions);
        }
        float[] scores = new float[queries.length * rows];

        kernel.score(matrix, dimensions, 2, rows, queries, scores);

        for (int q = 0; q < queries.length; q++) {
            for (int r = 0; r < rows; r++) {
                assertEquals(exact(matrix, 2 + r, queries[q]), scores[q * rows + r],
                        BruteForceReference.SCORE_TOLERANCE, "row " + r + ", query " + q);
            }
        }
    }

    @ParameterizedTest(name = "{0}, dimensions={1}")
    @MethodSource("kernelsAndDimensions")
    void cancellingLargeAndTinyComponentsStayWithinFloatRounding(InnerProductKernel kernel, int dimensions) {
        // Magnitudes from 1e-6 to 1e4 of both signs: sums that cancel, where a wrong or dropped product shows at once
        // and only rounding may differ. The bound is the classic one for a float sum of n products of any order.
        Random random = new Random(1000 + dimensions);
        int rows = 9;
        float[] matrix = new float[rows * dimensions];
        for (int i = 0; i < matrix.length; i++) {
            matrix[i] = (float) ((random.nextBoolean() ? 1 : -1) * Math.pow(10, random.nextInt(11) - 6));
        }
        float[][] queries = new float[5][dimensions];
        for (float[] query : queries) {
            for (int i = 0; i < dimensions; i++) {
                query[i] = (float) ((random.nextBoolean() ? 1 : -1) * Math.pow(10, random.nextInt(5) - 2));
            }
        }
        float[] scores = new float[queries.length * rows];

        kernel.score(matrix, dimensions, 0, rows, queries, scores);

        for (int q = 0; q < queries.length; q++) {
            for (int r = 0; r < rows; r++) {
                double magnitude = 0;
                for (int i = 0; i < dimensions; i++) {
                    magnitude += Math.abs((double) matrix[r * dimensions + i] * queries[q][i]);
                }
                double bound = (dimensions + 1) * Math.ulp(1f) * magnitude;
                assertEquals(exact(matrix, r, queries[q]), scores[q * rows + r], bound, "row " + r + ", query " + q);
            }
        }
    }

    @ParameterizedTest(name = "{0}, dimensions={1}")
    @MethodSource("kernelsAndDimensions")
    void aPairScoresTheSameBitsInEveryBlock(InnerProductKernel kernel, int dimensions) {
        // What lets batches and threads return exactly what a single query on one thread returns.
        Random random = new Random(77 + dimensions);
        int rows = 13;
        float[] matrix = BruteForceReference.randomUnitRows(random, rows, dimensions);
        float[][] queries = new float[9][];
        for (int q = 0; q < queries.length; q++) {
            queries[q] = BruteForceReference.randomUnitRows(random, 1, dimensions);
        }
        float[] all = new float[queries.length * rows];
        kernel.score(matrix, dimensions, 0, rows, queries, all);

        for (int q = 0; q < queries.length; q++) {
            for (int r = 0; r < rows; r++) {
                float[] alone = new float[1];
                kernel.score(matrix, dimensions, r, 1, new float[][] {queries[q]}, alone);
                assertEquals(Float.floatToIntBits(all[q * rows + r]), Float.floatToIntBits(alone[0]),
                        "row " + r + ", query " + q);
            }
        }
        for (int first = 0; first < 4; first++) {
            float[][] someQueries = {queries[3], queries[4], queries[5], queries[6], queries[7]};
            int count = rows - first - 1;
            float[] block = new float[someQueries.length * count];
            kernel.score(matrix, dimensions, first, count, someQueries, block);
            for (int q = 0; q < someQueries.length; q++) {
                for (int r = 0; r < count; r++) {
                    assertEquals(Float.floatToIntBits(all[(q + 3) * rows + first + r]),
                            Float.floatToIntBits(block[q * count + r]), "row " + (first + r) + ", query " + (q + 3));
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernels")
    void scoresFollowTheDocumentedSumOrderBitForBitBeforeAndAfterCompilation(InnerProductKernel kernel) {
        // A model of each kernel's documented order in plain Java, against the kernel cold and after enough calls for
        // the JIT to compile it (where, for example, reduceLanes changes its order on JDK 25).
        int lanes = kernel instanceof ScalarInnerProductKernel ? 0 : preferredLanes();
        for (int dimensions : new int[] {512, 37}) {
            Random random = new Random(dimensions);
            int rows = 64;
            float[] matrix = BruteForceReference.randomUnitRows(random, rows, dimensions);
            float[][] queries = new float[5][];
            for (int q = 0; q < queries.length; q++) {
                queries[q] = BruteForceReference.randomUnitRows(random, 1, dimensions);
            }
            float[] scores = new float[queries.length * rows];
            for (int round = 0; round < 1000; round++) {
                kernel.score(matrix, dimensions, 0, rows, queries, scores);
                if (round == 0 || round == 999) {
                    for (int q = 0; q < queries.length; q++) {
                        for (int r = 0; r < rows; r++) {
                            float expected = lanes == 0 ? scalarOrder(matrix, r, queries[q])
                                    : vectorOrder(matrix, r, queries[q], lanes);
                            assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(scores[q * rows + r]),
                                    "round " + round + ", dimensions " + dimensions + ", row " + r + ", query " + q);
                        }
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernels")
    void nonFiniteComponentsGiveNonFiniteScores(InnerProductKernel kernel) {
        int dimensions = 40;
        float[] matrix = new float[6 * dimensions];
        for (int r = 0; r < 6; r++) {
            matrix[r * dimensions + r] = 1f;
        }
        matrix[dimensions + 35] = Float.NaN;
        matrix[2 * dimensions + 3] = Float.POSITIVE_INFINITY;
        matrix[3 * dimensions + 39] = Float.POSITIVE_INFINITY;
        matrix[4 * dimensions + 10] = Float.NaN;
        float[] query = new float[dimensions];
        Arrays.fill(query, 0.5f);
        query[39] = -1f;
        float[] scores = new float[6];

        kernel.score(matrix, dimensions, 0, 6, new float[][] {query}, scores);

        assertEquals(0.5f, scores[0]);
        assertTrue(Float.isNaN(scores[1]));
        assertEquals(Float.POSITIVE_INFINITY, scores[2]);
        assertEquals(Float.NEGATIVE_INFINITY, scores[3]);
        assertTrue(Float.isNaN(scores[4]));
        assertEquals(0.5f, scores[5]);
    }

    @Test
    void withoutTheModuleTheScalarKernelIsChosenAndSaysHowToGetTheOther() {
        InnerProductKernel kernel = InnerProductKernel.choose(false);

        assertInstanceOf(ScalarInnerProductKernel.class, kernel);
        assertTrue(kernel.description().contains("--add-modules=jdk.incubator.vector"), kernel.description());
    }

    @Test
    void withTheModuleTheVectorKernelIsChosen() {
        assumeTrue(vectorModuleLoaded(), "the JVM runs without " + VectorModule.NAME);

        InnerProductKernel kernel = InnerProductKernel.fastestAvailable();

        assertEquals("VectorInnerProductKernel", kernel.getClass().getSimpleName());
        assertTrue(kernel.description().startsWith("Vector API"), kernel.description());
    }

    /** ScalarInnerProductKernel's order: four partial sums by index modulo 4, paired, then the rest in order. */
    private static float scalarOrder(float[] matrix, int row, float[] query) {
        int offset = row * query.length;
        float[] partial = new float[4];
        int whole = query.length / 4 * 4;
        for (int i = 0; i < whole; i++) {
            partial[i % 4] += matrix[offset + i] * query[i];
        }
        float sum = (partial[0] + partial[1]) + (partial[2] + partial[3]);
        for (int i = whole; i < query.length; i++) {
            sum += matrix[offset + i] * query[i];
        }
        return sum;
    }

    /** VectorInnerProductKernel's order: fused multiply-adds per lane, the halving tree, then the rest in order. */
    private static float vectorOrder(float[] matrix, int row, float[] query, int lanes) {
        int offset = row * query.length;
        float[] lane = new float[lanes];
        int whole = query.length / lanes * lanes;
        for (int i = 0; i < whole; i++) {
            lane[i % lanes] = Math.fma(matrix[offset + i], query[i], lane[i % lanes]);
        }
        for (int width = lanes / 2; width >= 1; width /= 2) {
            for (int i = 0; i < width; i++) {
                lane[i] = lane[i] + lane[i + width];
            }
        }
        float sum = lane[0];
        for (int i = whole; i < query.length; i++) {
            sum += matrix[offset + i] * query[i];
        }
        return sum;
    }

    /** Only called when the module is loaded: the class links against it. */
    private static int preferredLanes() {
        return jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length();
    }

    private static double exact(float[] matrix, int row, float[] query) {
        double sum = 0;
        for (int i = 0; i < query.length; i++) {
            sum += (double) matrix[row * query.length + i] * query[i];
        }
        return sum;
    }
}
