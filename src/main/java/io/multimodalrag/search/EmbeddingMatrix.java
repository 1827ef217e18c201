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
 * <p><b>Score arithmetic.</b> Each score is a {@code float} dot product accumulated in {@code float}, in index order.
 * For 512 unit-length components the rounding error is around 1e-6, far below any meaningful difference between
 * images; accumulating in {@code double} would halve the speed of the scan for no useful gain. A future vectorised scan
 * may sum in a different order and so differ in the last bits.
 */
public final class EmbeddingMatrix {

    private final float[] data;
    private final int dimensions;
    private final int rows;

    private EmbeddingMatrix(float[] data, int dimensions) {
        this.data = data;
        this.dimensions = dimensions;
        this.rows = data.length / dimensions;
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
        return new EmbeddingMatrix(new float[0], dimensions);
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
        Objects.requireNonNull(rowMajor, "rowMajor");
        requirePositiveDimensions(dimensions);
        requireWholeRows(rowMajor, dimensions);
        return new EmbeddingMatrix(rowMajor, dimensions);
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
        Objects.requireNonNull(query, "query");
        if (query.length != dimensions) {
            throw new IllegalArgumentException(
                    "query has " + query.length + " dimensions, the matrix has " + dimensions);
        }
        if (k < 1) {
            throw new IllegalArgumentException("k must be at least 1, was " + k);
        }
        if (Float.isNaN(minScore)) {
            throw new IllegalArgumentException("minScore must not be NaN");
        }
        int capacity = Math.min(k, rows);
        if (capacity == 0) {
            return List.of();
        }
        BoundedMinHeap heap = new BoundedMinHeap(capacity);
        scan(query, 0, rows, minScore, heap);
        return heap.drainBestFirst();
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
        return new EmbeddingMatrix(grown, dimensions);
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
        return new EmbeddingMatrix(shrunk, dimensions);
    }

    @Override
    public String toString() {
        return "EmbeddingMatrix[rows=" + rows + ", dimensions=" + dimensions + "]";
    }

    /**
     * Scores rows {@code [fromRow, toRow)} and offers those reaching {@code minScore} to the heap. Kept apart, and
     * limited to a row range, so that a vectorised dot product or a split of the range across threads (one heap each,
     * merged afterwards) can replace it without touching the rest.
     */
    private void scan(float[] query, int fromRow, int toRow, float minScore, BoundedMinHeap heap) {
        final float[] matrix = data;
        final int width = dimensions;
        for (int row = fromRow, offset = fromRow * width; row < toRow; row++, offset += width) {
            float score = dot(matrix, offset, query, width);
            if (score >= minScore) {
                heap.offer(row, score);
            }
        }
    }

    private static float dot(float[] matrix, int offset, float[] query, int width) {
        float sum = 0f;
        for (int i = 0; i < width; i++) {
            sum += matrix[offset + i] * query[i];
        }
        return sum;
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

    /**
     * Keeps the best {@code capacity} (row, score) pairs seen so far in two parallel primitive arrays, so that offering
     * a row allocates nothing. The root is the worst kept pair: lowest score, and among equal scores the highest row
     * index, which makes the final order independent of the order rows are offered in.
     */
    private static final class BoundedMinHeap {

        private final int[] rows;
        private final float[] scores;
        private int size;

        BoundedMinHeap(int capacity) {
            this.rows = new int[capacity];
            this.scores = new float[capacity];
        }

        void offer(int row, float score) {
            if (size < rows.length) {
                rows[size] = row;
                scores[size] = score;
                siftUp(size);
                size++;
            } else if (worse(rows[0], scores[0], row, score)) {
                rows[0] = row;
                scores[0] = score;
                siftDown(0);
            }
        }

        /** Empties the heap into a list ordered best first. */
        List<ScoredRow> drainBestFirst() {
            ScoredRow[] ordered = new ScoredRow[size];
            while (size > 0) {
                ordered[size - 1] = new ScoredRow(rows[0], scores[0]);
                size--;
                rows[0] = rows[size];
                scores[0] = scores[size];
                siftDown(0);
            }
            return List.of(ordered);
        }

        /** Whether pair a ranks below pair b. */
        private static boolean worse(int rowA, float scoreA, int rowB, float scoreB) {
            return scoreA < scoreB || (scoreA == scoreB && rowA > rowB);
        }

        private void siftUp(int index) {
            int row = rows[index];
            float score = scores[index];
            while (index > 0) {
                int parent = (index - 1) >>> 1;
                if (!worse(row, score, rows[parent], scores[parent])) {
                    break;
                }
                rows[index] = rows[parent];
                scores[index] = scores[parent];
                index = parent;
            }
            rows[index] = row;
            scores[index] = score;
        }

        private void siftDown(int index) {
            int row = rows[index];
            float score = scores[index];
            int half = size >>> 1;
            while (index < half) {
                int child = 2 * index + 1;
                int right = child + 1;
                if (right < size && worse(rows[right], scores[right], rows[child], scores[child])) {
                    child = right;
                }
                if (!worse(rows[child], scores[child], row, score)) {
                    break;
                }
                rows[index] = rows[child];
                scores[index] = scores[child];
                index = child;
            }
            rows[index] = row;
            scores[index] = score;
        }
    }
}
