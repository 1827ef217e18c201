package io.multimodalrag.search;

/**
 * The kernel for JVMs without the Vector API: plain Java, one (row, query) pair at a time.
 *
 * <p><b>Accumulation order.</b> A float sum in index order is one long chain of dependent additions, each waiting for
 * the previous one (about four cycles). This kernel keeps four partial sums instead, sum {@code j} taking the
 * components whose index is {@code j} modulo 4, so that four chains run at once; it adds them as
 * {@code (s0 + s1) + (s2 + s3)} and then the last {@code dimensions % 4} products in index order. This is a
 * reordering of the same products, so the result differs from an index-order sum only by rounding (for unit vectors
 * of 512 components, around 1e-7 to 1e-6), and it depends on nothing but the row and the query, as the
 * {@link InnerProductKernel} contract requires.
 */
final class ScalarInnerProductKernel implements InnerProductKernel {

    private final String reason;

    /** @param reason why the scalar kernel is in use, for the start-up log */
    ScalarInnerProductKernel(String reason) {
        this.reason = reason;
    }

    @Override
    public void score(float[] matrix, int dimensions, int firstRow, int rowCount, float[][] queries, float[] scores) {
        for (int q = 0; q < queries.length; q++) {
            float[] query = queries[q];
            int out = q * rowCount;
            for (int r = 0, offset = firstRow * dimensions; r < rowCount; r++, offset += dimensions) {
                scores[out + r] = dot(matrix, offset, query, dimensions);
            }
        }
    }

    private static float dot(float[] matrix, int offset, float[] query, int dimensions) {
        float s0 = 0f;
        float s1 = 0f;
        float s2 = 0f;
        float s3 = 0f;
        int i = 0;
        for (int end = dimensions & ~3; i < end; i += 4) {
            s0 += matrix[offset + i] * query[i];
            s1 += matrix[offset + i + 1] * query[i + 1];
            s2 += matrix[offset + i + 2] * query[i + 2];
            s3 += matrix[offset + i + 3] * query[i + 3];
        }
        float sum = (s0 + s1) + (s2 + s3);
        for (; i < dimensions; i++) {
            sum += matrix[offset + i] * query[i];
        }
        return sum;
    }

    @Override
    public String description() {
        return "scalar (" + reason + ")";
    }
}
