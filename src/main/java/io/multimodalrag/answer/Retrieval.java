package io.multimodalrag.answer;

import io.multimodalrag.search.KnowledgeBase;
import io.multimodalrag.search.SearchHit;
import io.smallrye.mutiny.Uni;
import java.util.List;

/**
 * The knowledge-base images a question is grounded in: the photo embedded, the most similar entries found, and
 * none refused when {@code rag.ask.require-match} says a question needs one.
 */
final class Retrieval {

    private final KnowledgeBase knowledgeBase;
    private final boolean requireMatch;

    Retrieval(KnowledgeBase knowledgeBase, boolean requireMatch) {
        this.knowledgeBase = knowledgeBase;
        this.requireMatch = requireMatch;
    }

    /**
     * The best {@code k} entries scoring at least {@code minScore}, best first; the photo's decoded pixels are handed
     * to it on the way.
     */
    Uni<List<SearchHit>> references(PromptImages.Photo photo, int k, float minScore) {
        return knowledgeBase.searchImage(photo.bytes(), photo, k, minScore).map(hits -> {
            if (hits.isEmpty() && requireMatch) {
                throw new NoReferenceFoundException(minScore);
            }
            return hits;
        });
    }
}
