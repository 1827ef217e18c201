package io.multimodalrag.search;

/** A knowledge-base entry and its cosine similarity to the query. */
public record SearchHit(KnowledgeBaseEntry entry, float score) {
}
