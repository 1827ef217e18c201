package io.multimodalrag.search;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The kernel on the incubating Vector API: fused multiply-adds over the widest float vectors the CPU has (16 lanes
 * with AVX-512, 8 with AVX2). Linked against {@code jdk.incubator.vector}, so only
 * {@link InnerProductKernel#fastestAvailable()} creates it, by name, once it has seen that the module is loaded.
 *
 * <p><b>Accumulation order, the same for every (row, query) pair.</b> One vector accumulator per pair; lane {@code j}
 * takes the products of the components whose index is {@code j} modulo the lane count, in index order, each added
 * with one rounding by a fused multiply-add. The lanes are then stored and summed by a fixed pairwise tree in scalar
 * code (lane {@code j} plus lane {@code j + lanes / 2} for the lower half, then the same on that half, down to one),
 * not by {@code reduceLanes(ADD)}: the API leaves its order open, and on JDK 25 the JIT-compiled form does sum in
 * another order than the interpreter, so a row's score would change as the code warms up. (Lane permutations and
 * blends, the other way to a fixed order, measured five times slower here than the store and scalar adds.) Last come
 * the {@code dimensions % lanes} leftover products, in index order. That is a reordering of the exact products of an
 * index-order sum, so the scores differ from one only by rounding; and since every step is fixed, a pair's score is
 * the same in every block shape below, which is the contract of {@link InnerProductKernel}.
 *
 * <p><b>Blocking.</b> A single query scores one row after another, so that rows stream from memory front to back;
 * that scan is bound by memory bandwidth, not arithmetic. A batch scores four rows against four queries at a time
 * (with 16 lanes, where sixteen accumulators and the loaded vectors fit the 32 vector registers): each query vector is
 * loaded once for four rows and each row vector once for four queries, which keeps the loop on the multiply-add units
 * when the rows sit in the cache. Other lane counts score a batch pair by pair.
 *
 * <p>No method here takes or returns a vector: a vector passed to a method that the JIT does not inline is allocated
 * on the heap, which costs more than scoring the row.
 */
final class VectorInnerProductKernel implements InnerProductKernel {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();

    /**
     * @throws UnsupportedOperationException if the preferred float vector has fewer than 4 lanes, which is no faster
     *                                       than the scalar kernel, or a lane count that is not a power of two
     */
    VectorInnerProductKernel() {
        if (LANES < 4 || Integer.bitCount(LANES) != 1) {
            throw new UnsupportedOperationException("preferred float vector has " + LANES + " lanes");
        }
    }

    @Override
    public void score(float[] matrix, int dimensions, int firstRow, int rowCount, float[][] queries, float[] scores) {
        int vectorEnd = SPECIES.loopBound(dimensions);
        float[] lanes = new float[16 * LANES];
        int q = 0;
        if (LANES == 16 && rowCount >= 4) {
            for (; q + 4 <= queries.length; q += 4) {
                int r = 0;
                for (; r + 4 <= rowCount; r += 4) {
                    int offset = (firstRow + r) * dimensions;
                    fourRowsFourQueries(matrix, offset, dimensions, vectorEnd,
                            queries[q], queries[q + 1], queries[q + 2], queries[q + 3], lanes);
                    for (int j = 0; j < 4; j++) {
                        float[] query = queries[q + j];
                        int out = (q + j) * rowCount + r;
                        for (int row = 0; row < 4; row++) {
                            scores[out + row] = tail(laneSum(lanes, (4 * j + row) * LANES), matrix,
                                    offset + row * dimensions, query, dimensions, vectorEnd);
                        }
                    }
                }
                for (; r < rowCount; r++) {
                    int offset = (firstRow + r) * dimensions;
                    for (int j = q; j < q + 4; j++) {
                        scores[j * rowCount + r] = dot(matrix, offset, queries[j], dimensions, vectorEnd, lanes);
                    }
                }
            }
        }
        for (; q < queries.length; q++) {
            // One row at a time: the rows stream from memory front to back, which the hardware prefetchers follow
            // best; interleaving four rows measured two to three times slower here, and there is arithmetic to spare.
            float[] query = queries[q];
            for (int r = 0, offset = firstRow * dimensions; r < rowCount; r++, offset += dimensions) {
                scores[q * rowCount + r] = dot(matrix, offset, query, dimensions, vectorEnd, lanes);
            }
        }
    }

    /** One pair: the accumulator chain, the lane sum, the leftover products; {@code lanes} is scratch space. */
    private static float dot(float[] matrix, int offset, float[] query, int dimensions, int vectorEnd,
            float[] lanes) {
        FloatVector sum = FloatVector.zero(SPECIES);
        for (int i = 0; i < vectorEnd; i += LANES) {
            sum = FloatVector.fromArray(SPECIES, matrix, offset + i).fma(FloatVector.fromArray(SPECIES, query, i), sum);
        }
        sum.intoArray(lanes, 0);
        return tail(laneSum(lanes, 0), matrix, offset, query, dimensions, vectorEnd);
    }

    /**
     * Accumulates four rows against four queries, for 16 lanes: each query vector is loaded once for the four rows
     * and each row vector once for the four queries. {@code sRQ} is row R against query Q; its lanes go to
     * {@code lanes[(4 * Q + R) * LANES]} onwards.
     */
    private static void fourRowsFourQueries(float[] matrix, int offset, int dimensions, int vectorEnd,
            float[] q0, float[] q1, float[] q2, float[] q3, float[] lanes) {
        int o1 = offset + dimensions;
        int o2 = o1 + dimensions;
        int o3 = o2 + dimensions;
        FloatVector s00 = FloatVector.zero(SPECIES);
        FloatVector s01 = s00;
        FloatVector s02 = s00;
        FloatVector s03 = s00;
        FloatVector s10 = s00;
        FloatVector s11 = s00;
        FloatVector s12 = s00;
        FloatVector s13 = s00;
        FloatVector s20 = s00;
        FloatVector s21 = s00;
        FloatVector s22 = s00;
        FloatVector s23 = s00;
        FloatVector s30 = s00;
        FloatVector s31 = s00;
        FloatVector s32 = s00;
        FloatVector s33 = s00;
        for (int i = 0; i < vectorEnd; i += LANES) {
            FloatVector x0 = FloatVector.fromArray(SPECIES, q0, i);
            FloatVector x1 = FloatVector.fromArray(SPECIES, q1, i);
            FloatVector x2 = FloatVector.fromArray(SPECIES, q2, i);
            FloatVector x3 = FloatVector.fromArray(SPECIES, q3, i);
            FloatVector m = FloatVector.fromArray(SPECIES, matrix, offset + i);
            s00 = m.fma(x0, s00);
            s01 = m.fma(x1, s01);
            s02 = m.fma(x2, s02);
            s03 = m.fma(x3, s03);
            m = FloatVector.fromArray(SPECIES, matrix, o1 + i);
            s10 = m.fma(x0, s10);
            s11 = m.fma(x1, s11);
            s12 = m.fma(x2, s12);
            s13 = m.fma(x3, s13);
            m = FloatVector.fromArray(SPECIES, matrix, o2 + i);
            s20 = m.fma(x0, s20);
            s21 = m.fma(x1, s21);
            s22 = m.fma(x2, s22);
            s23 = m.fma(x3, s23);
            m = FloatVector.fromArray(SPECIES, matrix, o3 + i);
            s30 = m.fma(x0, s30);
            s31 = m.fma(x1, s31);
            s32 = m.fma(x2, s32);
            s33 = m.fma(x3, s33);
        }
        s00.intoArray(lanes, 0);
        s10.intoArray(lanes, LANES);
        s20.intoArray(lanes, 2 * LANES);
        s30.intoArray(lanes, 3 * LANES);
        s01.intoArray(lanes, 4 * LANES);
        s11.intoArray(lanes, 5 * LANES);
        s21.intoArray(lanes, 6 * LANES);
        s31.intoArray(lanes, 7 * LANES);
        s02.intoArray(lanes, 8 * LANES);
        s12.intoArray(lanes, 9 * LANES);
        s22.intoArray(lanes, 10 * LANES);
        s32.intoArray(lanes, 11 * LANES);
        s03.intoArray(lanes, 12 * LANES);
        s13.intoArray(lanes, 13 * LANES);
        s23.intoArray(lanes, 14 * LANES);
        s33.intoArray(lanes, 15 * LANES);
    }

    /**
     * Sums {@code LANES} stored lanes by the fixed tree: each lane of the lower half plus its partner in the upper
     * half, then the same on the lower half, down to one. Written out for 16 and 8 lanes, where a loop measured
     * slower; {@code LANES} is a constant, so only one branch is compiled.
     */
    private static float laneSum(float[] t, int at) {
        if (LANES == 16) {
            return (((t[at] + t[at + 8]) + (t[at + 4] + t[at + 12]))
                    + ((t[at + 2] + t[at + 10]) + (t[at + 6] + t[at + 14])))
                    + (((t[at + 1] + t[at + 9]) + (t[at + 5] + t[at + 13]))
                    + ((t[at + 3] + t[at + 11]) + (t[at + 7] + t[at + 15])));
        }
        if (LANES == 8) {
            return ((t[at] + t[at + 4]) + (t[at + 2] + t[at + 6]))
                    + ((t[at + 1] + t[at + 5]) + (t[at + 3] + t[at + 7]));
        }
        for (int width = LANES / 2; width >= 1; width /= 2) {
            for (int i = at; i < at + width; i++) {
                t[i] += t[i + width];
            }
        }
        return t[at];
    }

    /** Adds the products past the last whole vector, in index order. */
    private static float tail(float sum, float[] matrix, int offset, float[] query, int dimensions, int vectorEnd) {
        for (int i = vectorEnd; i < dimensions; i++) {
            sum += matrix[offset + i] * query[i];
        }
        return sum;
    }

    @Override
    public String description() {
        return "Vector API, " + LANES + " float lanes (" + SPECIES.vectorBitSize() + "-bit)";
    }
}
