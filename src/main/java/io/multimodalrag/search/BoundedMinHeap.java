package io.multimodalrag.search;

import java.util.List;

/**
 * Keeps the best {@code capacity} (row, score) pairs offered so far in two parallel primitive arrays, so that offering
 * a row allocates nothing. The root is the worst kept pair: lowest score, and among equal scores the highest row
 * index. Which pairs survive therefore depends only on the pairs offered, never on their order, so heaps filled by
 * different threads from different parts of a matrix merge into exactly the heap one thread would have filled.
 */
final class BoundedMinHeap {

    private final int[] rows;
    private final float[] scores;
    private int size;

    /** @param capacity the most pairs kept; at least 1 */
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

    /** Offers every pair that {@code other} holds; {@code other} is unchanged. */
    void offerAll(BoundedMinHeap other) {
        for (int i = 0; i < other.size; i++) {
            offer(other.rows[i], other.scores[i]);
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
