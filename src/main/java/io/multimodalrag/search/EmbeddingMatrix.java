package io.multimodalrag.search;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * An immutable, dense matrix of embedding vectors stored row-major in one {@code float[]}, searched by exact inner
 * product.
 *
 * <p>The vectors are expected to be L2-normalised, so the inner product is the cosine similarity. Nothing here checks
 * that, nor that the values are finite: checking would cost a pass over every row on every change.
 *
 * <p>Instances never change after construction, so any number of threads may search one without locks. The knowledge
 * base grows and shrinks by copy-on-write: {@link #withRowsAppended(float[])} and {@link #withoutRow(int)} return a new
 * matrix and leave this one untouched, and the owner swaps the reference (for example through a {@code volatile}
 * field).
 *
 * <p><b>Search.</b> {@link #topK(float[], int, float)} scores every row: exact, not approximate. The matrix's
 * {@link MatrixScanner} does the work, with the Vector API where the JVM has it and across threads for large
 * matrices; {@link #topK(float[][], int, float)} scores a batch of queries in one pass over the rows.
 *
 * <p><b>Score arithmetic.</b> Each score is a {@code float} dot product accumulated in {@code float}, summed in an
 * order that suits the CPU rather than in index order (see {@link ScalarInnerProductKernel} and
 * {@code VectorInnerProductKernel}). For 512 unit-length components the rounding error is around 1e-7 to 1e-6, far
 * below any meaningful difference between images; accumulating in {@code double} would halve the speed of the scan
 * for no useful gain. So the result is the one a brute-force reference in exact arithmetic gives, the same rows in the
 * same order, except that two rows whose exact scores are closer than that rounding may come in either order (and one
 * of them may be the k-th and the other left out). Rows whose float scores are equal are ordered by the lower row
 * index. A given JVM gives the same scores to a row whether it is searched alone, in a batch, or on any number of
 * threads; a JVM with the Vector API and one without may differ in the last bits.
 */
public final class EmbeddingMatrix {

    private final float[] data;
    private final int dimensions;
    private final int rows;
    private final MatrixScanner scanner;

    private EmbeddingMatrix(float[] data, int dimensions, MatrixScanner scanner) {
        this.data = data;
        this.dimensions = dimensions;
        this.rows = data.length / dimensions;
        this.scanner = scanner;
    }

    /**
     * Returns a matrix with no rows.
     *
     * @param dimensions length of every row; must be positive
     * @return an empty matrix
     * @throws IllegalArgumentException if {@code dimensions <= 0}
     */
    public static EmbeddingMatrix empty(int dimensions) {
        requirePositiveDimensions(dimensions);
        return new EmbeddingMatrix(new float[0], dimensions, MatrixScanner.shared());
    }

    /**
     * Wraps row-major data as a matrix, taking ownership of the array: it is not copied, so the caller must not change
     * it afterwards.
     *
     * @param rowMajor   rows laid out one after another; its length must be a multiple of {@code dimensions}
     * @param dimensions length of every row; must be positive
     * @return a matrix of {@code rowMajor.length / dimensions} rows
     * @throws IllegalArgumentException if {@code dimensions <= 0} or the length is not a multiple of it
     * @throws NullPointerException     if {@code rowMajor} is null
     */
    public static EmbeddingMatrix of(float[] rowMajor, int dimensions) {
        return of(rowMajor, dimensions, MatrixScanner.shared());
    }

    /**
     * Wraps row-major data as a matrix searched by the given scanner, taking ownership of the array: it is not
     * copied, so the caller must not change it afterwards. Matrices derived from this one keep the scanner.
     *
     * @param rowMajor   rows laid out one after another; its length must be a multiple of {@code dimensions}
     * @param dimensions length of every row; must be positive
     * @param scanner    runs the searches (kernel and threads); {@link #of(float[], int)} uses
     *                   {@link MatrixScanner#shared()}
     * @return a matrix of {@code rowMajor.length / dimensions} rows
     * @throws IllegalArgumentException if {@code dimensions <= 0} or the length is not a multiple of it
     * @throws NullPointerException     if {@code rowMajor} or {@code scanner} is null
     */
    public static EmbeddingMatrix of(float[] rowMajor, int dimensions, MatrixScanner scanner) {
        Objects.requireNonNull(rowMajor, "rowMajor");
        Objects.requireNonNull(scanner, "scanner");
        requirePositiveDimensions(dimensions);
        requireWholeRows(rowMajor, dimensions);
        return new EmbeddingMatrix(rowMajor, dimensions, scanner);
    }

    /** @return the number of rows */
    public int rows() {
        return rows;
    }

    /** @return the length of every row */
    public int dimensions() {
        return dimensions;
    }

    /**
     * Returns a copy of one row.
     *
     * @param index zero-based row index
     * @return a new array of {@link #dimensions()} floats
     * @throws IndexOutOfBoundsException if the index is not a row of this matrix
     */
    public float[] row(int index) {
        Objects.checkIndex(index, rows);
        int from = index * dimensions;
        return Arrays.copyOfRange(data, from, from + dimensions);
    }

    /**
     * Finds the rows with the highest inner product against {@code query}.
     *
     * <p>The result is ordered best first; equal scores are ordered by the lower row index first. Only rows whose
     * score is {@code >= minScore} are returned, so a row whose score is NaN is never returned. Pass
     * {@link Float#NEGATIVE_INFINITY} to disable the threshold.
     *
     * @param query    the query vector; its length must equal {@link #dimensions()}
     * @param k        the most rows to return; must be at least 1 and may exceed {@link #rows()}
     * @param minScore the lowest score a returned row may have; must not be NaN
     * @return up to {@code k} hits, best first; an unmodifiable list, empty if no row qualifies
     * @throws IllegalArgumentException if the query length is wrong, {@code k < 1} or {@code minScore} is NaN
     * @throws NullPointerException     if {@code query} is null
     */
    public List<ScoredRow> topK(float[] query, int k, float minScore) {
        requireQuery(query, "query");
        requireLimits(k, minScore);
        return scanner.topK(data, dimensions, rows, new float[][] {query}, k, minScore).get(0);
    }

    /**
     * Finds the best rows for each of several queries in one pass over the matrix, which reads the rows from memory
     * once for the whole batch instead of once per query. Each result is exactly what {@link #topK(float[], int,
     * float)} returns for that query.
     *
     * @param queries  the query vectors; each one's length must equal {@link #dimensions()}; may be empty
     * @param k        the most rows to return per query; must be at least 1 and may exceed {@link #rows()}
     * @param minScore the lowest score a returned row may have; must not be NaN
     * @return one result per query, in the order of the queries, each as {@link #topK(float[], int, float)} describes;
     *         an unmodifiable list
     * @throws IllegalArgumentException if a query length is wrong, {@code k < 1} or {@code minScore} is NaN
     * @throws NullPointerException     if {@code queries} or one of them is null
     */
    public List<List<ScoredRow>> topK(float[][] queries, int k, float minScore) {
        Objects.requireNonNull(queries, "queries");
        float[][] copy = queries.clone(); // checked and searched the same arrays, whatever the caller does meanwhile
        for (int q = 0; q < copy.length; q++) {
            requireQuery(copy[q], "queries[" + q + "]");
        }
        requireLimits(k, minScore);
        return scanner.topK(data, dimensions, rows, copy, k, minScore);
    }

    /**
     * Returns a new matrix holding this matrix's rows followed by {@code rowMajorRows}. The argument is copied, and
     * this matrix is unchanged.
     *
     * @param rowMajorRows rows to append, laid out one after another; its length must be a multiple of
     *                     {@link #dimensions()} and may be zero
     * @return the grown matrix; this same instance if nothing is appended
     * @throws IllegalArgumentException if the length is not a multiple of the dimensions, or the result would exceed
     *                                  the largest Java array
     * @throws NullPointerException     if {@code rowMajorRows} is null
     */
    public EmbeddingMatrix withRowsAppended(float[] rowMajorRows) {
        Objects.requireNonNull(rowMajorRows, "rowMajorRows");
        requireWholeRows(rowMajorRows, dimensions);
        if (rowMajorRows.length == 0) {
            return this;
        }
        int length;
        try {
            length = Math.addExact(data.length, rowMajorRows.length);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("matrix would exceed " + Integer.MAX_VALUE + " floats", e);
        }
        float[] grown = Arrays.copyOf(data, length);
        System.arraycopy(rowMajorRows, 0, grown, data.length, rowMajorRows.length);
        return new EmbeddingMatrix(grown, dimensions, scanner);
    }

    /**
     * Returns a new matrix without one row; the rows after it move up by one index. This matrix is unchanged.
     *
     * @param index zero-based index of the row to drop
     * @return the shrunk matrix
     * @throws IndexOutOfBoundsException if the index is not a row of this matrix
     */
    public EmbeddingMatrix withoutRow(int index) {
        Objects.checkIndex(index, rows);
        float[] shrunk = new float[data.length - dimensions];
        int from = index * dimensions;
        System.arraycopy(data, 0, shrunk, 0, from);
        System.arraycopy(data, from + dimensions, shrunk, from, shrunk.length - from);
        return new EmbeddingMatrix(shrunk, dimensions, scanner);
    }

    @Override
    public String toString() {
        return "EmbeddingMatrix[rows=" + rows + ", dimensions=" + dimensions + "]";
    }

    private void requireQuery(float[] query, String name) {
        Objects.requireNonNull(query, name);
        if (query.length != dimensions) {
            throw new IllegalArgumentException(
                    name + " has " + query.length + " dimensions, the matrix has " + dimensions);
        }
    }

    private static void requireLimits(int k, float minScore) {
        if (k < 1) {
            throw new IllegalArgumentException("k must be at least 1, was " + k);
        }
        if (Float.isNaN(minScore)) {
            throw new IllegalArgumentException("minScore must not be NaN");
        }
    }

    private static void requirePositiveDimensions(int dimensions) {
        if (dimensions <= 0) {
            throw new IllegalArgumentException("dimensions must be positive, was " + dimensions);
        }
    }

    private static void requireWholeRows(float[] rowMajor, int dimensions) {
        if (rowMajor.length % dimensions != 0) {
            throw new IllegalArgumentException(
                    "length " + rowMajor.length + " is not a multiple of " + dimensions + " dimensions");
        }
    }
}
