package io.multimodalrag.search;

/**
 * One search hit: the index of a row in an {@link EmbeddingMatrix} and its inner-product score against the query.
 *
 * @param row   zero-based row index in the matrix that produced the hit
 * @param score inner product of that row with the query; for unit vectors this is the cosine similarity
 */
public record ScoredRow(int row, float score) {
}
