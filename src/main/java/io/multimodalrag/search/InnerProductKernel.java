package io.multimodalrag.search;

import io.multimodalrag.vector.VectorModule;

/**
 * The innermost loop of the exact search: inner products of a block of matrix rows with a block of query vectors.
 *
 * <p>Implementations sum in different orders, so their scores may differ from each other, and from a sum in index
 * order, in the last bits of the float. Each implementation must however give one (row, query) pair the same score,
 * bit for bit, whichever other rows and queries share the call and wherever the block starts: that is what lets a
 * batch of queries, or a scan split across threads, return exactly what single queries on one thread return.
 *
 * <p>Two implementations exist: {@link ScalarInnerProductKernel}, plain Java that any JVM runs, and
 * {@code VectorInnerProductKernel}, on the incubating Vector API. The latter links against
 * {@code jdk.incubator.vector}, which the JVM loads only when started with
 * {@code --add-modules=jdk.incubator.vector}; nothing refers to it by name except {@link #fastestAvailable()}, which
 * creates it through {@link VectorModule} when the module is there, so the rest of the service runs without it.
 */
interface InnerProductKernel {

    /**
     * Scores {@code rowCount} consecutive rows against every query.
     *
     * @param matrix     row-major rows of {@code dimensions} floats each
     * @param dimensions length of every row and every query
     * @param firstRow   index of the first row to score
     * @param rowCount   rows to score, from {@code firstRow}
     * @param queries    query vectors of {@code dimensions} floats each
     * @param scores     receives the score of row {@code firstRow + r} against query {@code q} at
     *                   {@code q * rowCount + r}; at least {@code queries.length * rowCount} long
     */
    void score(float[] matrix, int dimensions, int firstRow, int rowCount, float[][] queries, float[] scores);

    /** @return what this kernel is, for the start-up log: its instruction width, or why it is the scalar one */
    String description();

    /**
     * Returns the Vector API kernel when the JVM has loaded its module ({@link VectorModule}), else the scalar one.
     *
     * @return the fastest kernel this JVM can run
     */
    static InnerProductKernel fastestAvailable() {
        return choose(VectorModule.loaded());
    }

    /**
     * Chooses between the kernels. Apart from {@link #fastestAvailable()} so that tests can ask for the choice made
     * without the module.
     *
     * @param vectorModulePresent whether {@value VectorModule#NAME} is in the boot layer
     * @return the Vector API kernel if the module is present and the kernel loads, otherwise the scalar one
     */
    static InnerProductKernel choose(boolean vectorModulePresent) {
        return VectorModule.implementation(vectorModulePresent, InnerProductKernel.class, "VectorInnerProductKernel",
                ScalarInnerProductKernel::new);
    }
}
