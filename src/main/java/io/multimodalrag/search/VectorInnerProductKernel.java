package io.multimodalrag.search;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The kernel on the incubating Vector API: fused multiply-adds over the widest float vectors the CPU has (16 lanes
 * with AVX-512, 8 with AVX2). Linked against {@code jdk.incubator.vector}, so only
 * {@link InnerProductKernel#fastestAvailable()} creates it, by name, once it has seen that the module is loaded.
 *
 * <p><b>Accumulation order, the same for every (row, query) pair.</b> One vector accumulator per pair; lane {@code j}
 * takes the products of the components whose index is {@code j} modulo the lane count, in index order, each added
 * with one rounding by a fused multiply-add. The lanes are then summed by a fixed pairwise tree (lane {@code j} plus
 * lane {@code j ^ (lanes / 2)}, then {@code j ^ (lanes / 4)}, down to {@code j ^ 1}), built from plain lane-wise
 * additions rather than {@code reduceLanes(ADD)}, whose order the API leaves open and which may therefore differ
 * between interpreted and compiled code. Last come the {@code dimensions % lanes} leftover products, in index order.
 * That is a reordering of the exact products of an index-order sum, so the scores differ from one only by rounding;
 * and since every step is fixed, a pair's score is the same in every block shape below, which is the contract of
 * {@link InnerProductKernel}.
 *
 * <p><b>Blocking.</b> Four rows are scored against four queries at a time: sixteen accumulators, each query vector
 * loaded once for four rows and each row vector once for four queries, which keeps the loop on the multiply-add units
 * rather than the loads when a batch of queries scores rows that sit in the cache. A single query scores four rows at
 * a time (four independent accumulator chains, the query loaded once for the four rows); its scan is bound by memory
 * bandwidth, not arithmetic.
 */
final class VectorInnerProductKernel implements InnerProductKernel {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();

    // Lane permutations of the summing tree: lane j takes lane j ^ distance. Null where the distance is not below the
    // lane count, and then never used. Constants, so that the compiler turns each into one permute instruction.
    private static final VectorShuffle<Float> SWAP_32 = swapLanesAt(32);
    private static final VectorShuffle<Float> SWAP_16 = swapLanesAt(16);
    private static final VectorShuffle<Float> SWAP_8 = swapLanesAt(8);
    private static final VectorShuffle<Float> SWAP_4 = swapLanesAt(4);
    private static final VectorShuffle<Float> SWAP_2 = swapLanesAt(2);
    private static final VectorShuffle<Float> SWAP_1 = swapLanesAt(1);

    /**
     * @throws UnsupportedOperationException if the preferred float vector has fewer than 4 lanes, which is no faster
     *                                       than the scalar kernel, or a lane count the summing tree does not cover
     */
    VectorInnerProductKernel() {
        if (LANES < 4 || LANES > 64 || Integer.bitCount(LANES) != 1) {
            throw new UnsupportedOperationException("preferred float vector has " + LANES + " lanes");
        }
    }

    @Override
    public void score(float[] matrix, int dimensions, int firstRow, int rowCount, float[][] queries, float[] scores) {
        int vectorEnd = SPECIES.loopBound(dimensions);
        int q = 0;
        for (; q + 4 <= queries.length; q += 4) {
            int r = 0;
            for (; r + 4 <= rowCount; r += 4) {
                fourRowsFourQueries(matrix, (firstRow + r) * dimensions, dimensions, vectorEnd,
                        queries[q], queries[q + 1], queries[q + 2], queries[q + 3], scores, q * rowCount + r, rowCount);
            }
            for (; r < rowCount; r++) {
                int offset = (firstRow + r) * dimensions;
                for (int j = q; j < q + 4; j++) {
                    scores[j * rowCount + r] = dot(matrix, offset, queries[j], dimensions, vectorEnd);
                }
            }
        }
        for (; q < queries.length; q++) {
            float[] query = queries[q];
            int r = 0;
            for (; r + 4 <= rowCount; r += 4) {
                fourRows(matrix, (firstRow + r) * dimensions, dimensions, vectorEnd, query, scores, q * rowCount + r);
            }
            for (; r < rowCount; r++) {
                scores[q * rowCount + r] = dot(matrix, (firstRow + r) * dimensions, query, dimensions, vectorEnd);
            }
        }
    }

    private static float dot(float[] matrix, int offset, float[] query, int dimensions, int vectorEnd) {
        FloatVector sum = FloatVector.zero(SPECIES);
        for (int i = 0; i < vectorEnd; i += LANES) {
            sum = FloatVector.fromArray(SPECIES, matrix, offset + i).fma(FloatVector.fromArray(SPECIES, query, i), sum);
        }
        return finish(sum, matrix, offset, query, dimensions, vectorEnd);
    }

    private static void fourRows(float[] matrix, int offset, int dimensions, int vectorEnd, float[] query,
            float[] scores, int out) {
        int o1 = offset + dimensions;
        int o2 = o1 + dimensions;
        int o3 = o2 + dimensions;
        FloatVector s0 = FloatVector.zero(SPECIES);
        FloatVector s1 = s0;
        FloatVector s2 = s0;
        FloatVector s3 = s0;
        for (int i = 0; i < vectorEnd; i += LANES) {
            FloatVector x = FloatVector.fromArray(SPECIES, query, i);
            s0 = FloatVector.fromArray(SPECIES, matrix, offset + i).fma(x, s0);
            s1 = FloatVector.fromArray(SPECIES, matrix, o1 + i).fma(x, s1);
            s2 = FloatVector.fromArray(SPECIES, matrix, o2 + i).fma(x, s2);
            s3 = FloatVector.fromArray(SPECIES, matrix, o3 + i).fma(x, s3);
        }
        scores[out] = finish(s0, matrix, offset, query, dimensions, vectorEnd);
        scores[out + 1] = finish(s1, matrix, o1, query, dimensions, vectorEnd);
        scores[out + 2] = finish(s2, matrix, o2, query, dimensions, vectorEnd);
        scores[out + 3] = finish(s3, matrix, o3, query, dimensions, vectorEnd);
    }

    /** Scores four rows against four queries; {@code sRQ} accumulates row R against query Q. */
    private static void fourRowsFourQueries(float[] matrix, int offset, int dimensions, int vectorEnd,
            float[] q0, float[] q1, float[] q2, float[] q3, float[] scores, int out, int stride) {
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
        scores[out] = finish(s00, matrix, offset, q0, dimensions, vectorEnd);
        scores[out + 1] = finish(s10, matrix, o1, q0, dimensions, vectorEnd);
        scores[out + 2] = finish(s20, matrix, o2, q0, dimensions, vectorEnd);
        scores[out + 3] = finish(s30, matrix, o3, q0, dimensions, vectorEnd);
        out += stride;
        scores[out] = finish(s01, matrix, offset, q1, dimensions, vectorEnd);
        scores[out + 1] = finish(s11, matrix, o1, q1, dimensions, vectorEnd);
        scores[out + 2] = finish(s21, matrix, o2, q1, dimensions, vectorEnd);
        scores[out + 3] = finish(s31, matrix, o3, q1, dimensions, vectorEnd);
        out += stride;
        scores[out] = finish(s02, matrix, offset, q2, dimensions, vectorEnd);
        scores[out + 1] = finish(s12, matrix, o1, q2, dimensions, vectorEnd);
        scores[out + 2] = finish(s22, matrix, o2, q2, dimensions, vectorEnd);
        scores[out + 3] = finish(s32, matrix, o3, q2, dimensions, vectorEnd);
        out += stride;
        scores[out] = finish(s03, matrix, offset, q3, dimensions, vectorEnd);
        scores[out + 1] = finish(s13, matrix, o1, q3, dimensions, vectorEnd);
        scores[out + 2] = finish(s23, matrix, o2, q3, dimensions, vectorEnd);
        scores[out + 3] = finish(s33, matrix, o3, q3, dimensions, vectorEnd);
    }

    /** Sums the lanes by the fixed tree, then adds the products past the last whole vector in index order. */
    private static float finish(FloatVector sum, float[] matrix, int offset, float[] query, int dimensions,
            int vectorEnd) {
        // LANES is a constant, so the compiler keeps only the steps this CPU's lane count needs.
        if (LANES > 32) {
            sum = sum.add(sum.rearrange(SWAP_32));
        }
        if (LANES > 16) {
            sum = sum.add(sum.rearrange(SWAP_16));
        }
        if (LANES > 8) {
            sum = sum.add(sum.rearrange(SWAP_8));
        }
        if (LANES > 4) {
            sum = sum.add(sum.rearrange(SWAP_4));
        }
        sum = sum.add(sum.rearrange(SWAP_2));
        sum = sum.add(sum.rearrange(SWAP_1));
        float total = sum.lane(0);
        for (int i = vectorEnd; i < dimensions; i++) {
            total += matrix[offset + i] * query[i];
        }
        return total;
    }

    private static VectorShuffle<Float> swapLanesAt(int distance) {
        return distance < LANES ? VectorShuffle.fromOp(SPECIES, lane -> lane ^ distance) : null;
    }

    @Override
    public String description() {
        return "Vector API, " + LANES + " float lanes (" + SPECIES.vectorBitSize() + "-bit)";
    }
}
