package io.multimodalrag.search;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An immutable matrix of embedding vectors, searched by exact inner product. Rows are stored row-major in segments of
 * a fixed capacity ({@value #SEGMENT_FLOATS} floats: 2,048 rows of 512 dimensions, 4 MB), so the matrix has no
 * ceiling below 2^31 rows (one {@code float[]} stopped at 2^31 floats, 4.19 million rows of 512), and a change copies
 * at most a segment or two, never the whole matrix.
 *
 * <p>The vectors are expected to be L2-normalised, so the inner product is the cosine similarity. Nothing here checks
 * that, nor that the values are finite: checking would cost a pass over every row on every change.
 *
 * <p>Instances never change after construction, so any number of threads may search one without locks. The knowledge
 * base grows and shrinks by persistent updates: {@link #withRowsAppended(float[])} and {@link #withoutRow(int)} return
 * a new matrix that shares every untouched segment with this one, and the owner swaps the reference (for example
 * through a {@code volatile} field). An append writes into the free rows of the last segment when no other matrix has
 * claimed them (each segment's array carries a count of the rows written into it, claimed by compare-and-set), else
 * into a copy of that segment: amortised O(dimensions) per row. A removal copies the one segment that held the row,
 * merged with a neighbour when both are less than half full, so that the segments stay at least half full on average.
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
 * index. A given JVM gives the same scores to a row whether it is searched alone, in a batch, on any number of
 * threads, or in any segment; a JVM with the Vector API and one without may differ in the last bits.
 */
public final class EmbeddingMatrix {

    /** Floats per segment: 4 MB, so that a removal copies little and the spine of a 10-million-row matrix is short. */
    static final int SEGMENT_FLOATS = 1 << 20;

    private final int dimensions;
    /** Rows each segment's array has room for. */
    private final int segmentRows;
    /** The segments' arrays, each {@code segmentRows * dimensions} floats; rows past a segment's count are not ours. */
    private final float[][] segments;
    /** For each array, how many of its rows some matrix has written: the free rows after it may be claimed once. */
    private final AtomicInteger[] written;
    /** {@code starts[i]} is the first row of segment {@code i}; {@code starts[segments.length]} is the row count. */
    private final int[] starts;
    private final MatrixScanner scanner;

    private EmbeddingMatrix(int dimensions, int segmentRows, float[][] segments, AtomicInteger[] written, int[] starts,
            MatrixScanner scanner) {
        this.dimensions = dimensions;
        this.segmentRows = segmentRows;
        this.segments = segments;
        this.written = written;
        this.starts = starts;
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
        return empty(dimensions, MatrixScanner.shared());
    }

    /**
     * Returns a matrix with no rows, searched by the given scanner; matrices derived from it keep the scanner.
     *
     * @param dimensions length of every row; must be positive
     * @param scanner    runs the searches (kernel and threads)
     * @return an empty matrix
     * @throws IllegalArgumentException if {@code dimensions <= 0}
     */
    public static EmbeddingMatrix empty(int dimensions, MatrixScanner scanner) {
        requirePositiveDimensions(dimensions);
        return empty(dimensions, Math.max(1, SEGMENT_FLOATS / dimensions), scanner);
    }

    /** An empty matrix whose segments hold {@code segmentRows} rows each (tests use small ones). */
    static EmbeddingMatrix empty(int dimensions, int segmentRows, MatrixScanner scanner) {
        Objects.requireNonNull(scanner, "scanner");
        requirePositiveDimensions(dimensions);
        if (segmentRows < 1) {
            throw new IllegalArgumentException("segmentRows must be positive, was " + segmentRows);
        }
        return new EmbeddingMatrix(dimensions, segmentRows, new float[0][], new AtomicInteger[0], new int[] {0}, scanner);
    }

    /**
     * A matrix of row-major data. The data is copied into segments; the caller may reuse the array.
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
     * A matrix of row-major data searched by the given scanner. The data is copied into segments. Matrices derived
     * from this one keep the scanner.
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
        return empty(dimensions, scanner).withRowsAppended(rowMajor);
    }

    /** Same as {@link #of(float[], int, MatrixScanner)} with segments of {@code segmentRows} rows. */
    static EmbeddingMatrix of(float[] rowMajor, int dimensions, int segmentRows, MatrixScanner scanner) {
        Objects.requireNonNull(rowMajor, "rowMajor");
        return empty(dimensions, segmentRows, scanner).withRowsAppended(rowMajor);
    }

    /**
     * Builds a matrix row by row, each row written straight into its segment (by an embedding cache, say), with no
     * intermediate array. Not thread-safe; {@link #build()} may be called once.
     */
    public static final class Builder {
        private final int dimensions;
        private final int segmentRows;
        private final MatrixScanner scanner;
        private final List<float[]> segments = new ArrayList<>();
        private final List<Integer> counts = new ArrayList<>();
        private int rows;

        private Builder(int dimensions, int segmentRows, MatrixScanner scanner) {
            this.dimensions = dimensions;
            this.segmentRows = segmentRows;
            this.scanner = scanner;
        }

        /** Writes one row of {@code dimensions} floats into {@code target} from {@code offset}. */
        @FunctionalInterface
        public interface RowWriter {
            /** @return false when there is no such row after all: the row is then not added */
            boolean write(float[] target, int offset);
        }

        /**
         * Appends the row {@code writer} writes, if it writes one.
         *
         * @return whether a row was added
         */
        public boolean appendRow(RowWriter writer) {
            int last = segments.size() - 1;
            if (last < 0 || counts.get(last) == segmentRows) {
                segments.add(new float[segmentRows * dimensions]);
                counts.add(0);
                last++;
            }
            int count = counts.get(last);
            if (rows == Integer.MAX_VALUE || !writer.write(segments.get(last), count * dimensions)) {
                return false;
            }
            counts.set(last, count + 1);
            rows++;
            return true;
        }

        /** @return rows added so far */
        public int rows() {
            return rows;
        }

        /** The matrix of the rows added. */
        public EmbeddingMatrix build() {
            int n = segments.size();
            if (n > 0 && counts.get(n - 1) == 0) {
                n--; // a segment made for a row that was then not added
            }
            float[][] arrays = new float[n][];
            AtomicInteger[] written = new AtomicInteger[n];
            int[] starts = new int[n + 1];
            for (int i = 0; i < n; i++) {
                arrays[i] = segments.get(i);
                written[i] = new AtomicInteger(counts.get(i));
                starts[i + 1] = starts[i] + counts.get(i);
            }
            return new EmbeddingMatrix(dimensions, segmentRows, arrays, written, starts, scanner);
        }
    }

    /**
     * A builder of a matrix searched by {@code scanner}.
     *
     * @param dimensions length of every row; must be positive
     */
    public static Builder builder(int dimensions, MatrixScanner scanner) {
        Objects.requireNonNull(scanner, "scanner");
        requirePositiveDimensions(dimensions);
        return new Builder(dimensions, Math.max(1, SEGMENT_FLOATS / dimensions), scanner);
    }

    /** @return the number of rows */
    public int rows() {
        return starts[segments.length];
    }

    /** @return the length of every row */
    public int dimensions() {
        return dimensions;
    }

    /** @return how many segments hold the rows (for tests and the log) */
    int segmentCount() {
        return segments.length;
    }

    /** The array behind segment {@code index}, for tests that check what a change shares. */
    float[] segmentArray(int index) {
        return segments[index];
    }

    /**
     * Returns a copy of one row.
     *
     * @param index zero-based row index
     * @return a new array of {@link #dimensions()} floats
     * @throws IndexOutOfBoundsException if the index is not a row of this matrix
     */
    public float[] row(int index) {
        Objects.checkIndex(index, rows());
        int segment = segmentOf(index);
        int from = (index - starts[segment]) * dimensions;
        return Arrays.copyOfRange(segments[segment], from, from + dimensions);
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
        return scanner.topK(segments, starts, dimensions, new float[][] {query}, k, minScore).get(0);
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
        return scanner.topK(segments, starts, dimensions, copy, k, minScore);
    }

    /**
     * Returns a new matrix holding this matrix's rows followed by {@code rowMajorRows}. The argument is copied, and
     * this matrix is unchanged; the new one shares its segments but the last, which is written in place when no other
     * matrix has written after this one's rows in it, and copied otherwise.
     *
     * @param rowMajorRows rows to append, laid out one after another; its length must be a multiple of
     *                     {@link #dimensions()} and may be zero
     * @return the grown matrix; this same instance if nothing is appended
     * @throws IllegalArgumentException if the length is not a multiple of the dimensions, or the result would have
     *                                  more than {@link Integer#MAX_VALUE} rows
     * @throws NullPointerException     if {@code rowMajorRows} is null
     */
    public EmbeddingMatrix withRowsAppended(float[] rowMajorRows) {
        Objects.requireNonNull(rowMajorRows, "rowMajorRows");
        requireWholeRows(rowMajorRows, dimensions);
        int adding = rowMajorRows.length / dimensions;
        if (adding == 0) {
            return this;
        }
        int rows = rows();
        if (adding > Integer.MAX_VALUE - rows) {
            throw new IllegalArgumentException("matrix would exceed " + Integer.MAX_VALUE + " rows");
        }
        int n = segments.length;
        int lastRows = n == 0 ? segmentRows : starts[n] - starts[n - 1];
        int intoLast = Math.min(adding, segmentRows - lastRows);
        int fresh = (adding - intoLast + segmentRows - 1) / segmentRows;
        float[][] grownSegments = Arrays.copyOf(segments, n + fresh);
        AtomicInteger[] grownWritten = Arrays.copyOf(written, n + fresh);
        int[] grownStarts = Arrays.copyOf(starts, n + fresh + 1);
        int from = 0;
        if (intoLast > 0) {
            float[] last = segments[n - 1];
            if (!written[n - 1].compareAndSet(lastRows, lastRows + intoLast)) {
                // Another matrix already wrote past this one's rows in this array: write into a copy.
                last = Arrays.copyOf(last, segmentRows * dimensions);
                grownSegments[n - 1] = last;
                grownWritten[n - 1] = new AtomicInteger(lastRows + intoLast);
            }
            System.arraycopy(rowMajorRows, 0, last, lastRows * dimensions, intoLast * dimensions);
            grownStarts[n] = starts[n] + intoLast;
            from = intoLast;
        }
        for (int i = n; i < n + fresh; i++) {
            int count = Math.min(segmentRows, adding - from);
            float[] segment = new float[segmentRows * dimensions];
            System.arraycopy(rowMajorRows, from * dimensions, segment, 0, count * dimensions);
            grownSegments[i] = segment;
            grownWritten[i] = new AtomicInteger(count);
            grownStarts[i + 1] = grownStarts[i] + count;
            from += count;
        }
        return new EmbeddingMatrix(dimensions, segmentRows, grownSegments, grownWritten, grownStarts, scanner);
    }

    /**
     * Returns a new matrix without one row; the rows after it move up by one index. This matrix is unchanged. Only the
     * segment that held the row is copied (together with a neighbour when both are less than half full, which merges
     * them), whatever the size of the matrix.
     *
     * @param index zero-based index of the row to drop
     * @return the shrunk matrix
     * @throws IndexOutOfBoundsException if the index is not a row of this matrix
     */
    public EmbeddingMatrix withoutRow(int index) {
        Objects.checkIndex(index, rows());
        int s = segmentOf(index);
        int count = starts[s + 1] - starts[s];
        int local = index - starts[s];
        // Left under half full, the segment is merged with a neighbour they both fit in: the next one, else the previous.
        int neighbour = -1;
        if (count - 1 < segmentRows / 2) {
            if (s + 1 < segments.length && count - 1 + rowsOf(s + 1) <= segmentRows) {
                neighbour = s + 1;
            } else if (s > 0 && count - 1 + rowsOf(s - 1) <= segmentRows) {
                neighbour = s - 1;
            }
        }
        int first = neighbour < 0 ? s : Math.min(s, neighbour);
        int replaced = neighbour < 0 ? 1 : 2;
        int keptRows = starts[first + replaced] - starts[first] - 1;
        // The rows of the replaced segments but the removed one, in order, in one new array; none when none is left.
        float[] merged = keptRows == 0 ? null : new float[segmentRows * dimensions];
        int at = 0;
        for (int i = first; i < first + replaced && merged != null; i++) {
            int rowsHere = rowsOf(i);
            int skip = i == s ? local : rowsHere; // the removed row's place, or past the end
            System.arraycopy(segments[i], 0, merged, at, Math.min(skip, rowsHere) * dimensions);
            at += Math.min(skip, rowsHere) * dimensions;
            if (skip < rowsHere) {
                int after = rowsHere - skip - 1;
                System.arraycopy(segments[i], (skip + 1) * dimensions, merged, at, after * dimensions);
                at += after * dimensions;
            }
        }
        int n = segments.length - replaced + (merged == null ? 0 : 1);
        float[][] shrunkSegments = new float[n][];
        AtomicInteger[] shrunkWritten = new AtomicInteger[n];
        int[] shrunkStarts = new int[n + 1];
        System.arraycopy(segments, 0, shrunkSegments, 0, first);
        System.arraycopy(written, 0, shrunkWritten, 0, first);
        System.arraycopy(starts, 0, shrunkStarts, 0, first + 1);
        int next = first;
        if (merged != null) {
            shrunkSegments[next] = merged;
            shrunkWritten[next] = new AtomicInteger(keptRows);
            shrunkStarts[next + 1] = shrunkStarts[next] + keptRows;
            next++;
        }
        for (int i = first + replaced; i < segments.length; i++, next++) {
            shrunkSegments[next] = segments[i];
            shrunkWritten[next] = written[i];
            shrunkStarts[next + 1] = starts[i + 1] - 1;
        }
        return new EmbeddingMatrix(dimensions, segmentRows, shrunkSegments, shrunkWritten, shrunkStarts, scanner);
    }

    private int rowsOf(int segment) {
        return starts[segment + 1] - starts[segment];
    }

    private int segmentOf(int row) {
        return segmentOf(starts, segments.length, row);
    }

    /**
     * The segment holding {@code row}, a valid row index, of a matrix whose {@code segments} segments start at
     * {@code starts}: binary search over the segments' first rows, none of which repeats (no segment is empty).
     */
    static int segmentOf(int[] starts, int segments, int row) {
        int found = Arrays.binarySearch(starts, 0, segments, row);
        return found >= 0 ? found : -found - 2;
    }

    @Override
    public String toString() {
        return "EmbeddingMatrix[rows=" + rows() + ", dimensions=" + dimensions + ", segments=" + segments.length + "]";
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
