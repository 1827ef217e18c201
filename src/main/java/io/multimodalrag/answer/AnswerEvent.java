package io.multimodalrag.answer;

import io.multimodalrag.search.SearchHit;
import java.util.List;

/**
 * What a streamed answer emits: the references found, once the photo is embedded and searched (the vision LLM is
 * asked next), pieces of text as they arrive, then the complete answer once.
 */
public sealed interface AnswerEvent {

    /** The knowledge-base images the answer will be grounded in, best first (empty when none matched). */
    record Retrieved(List<SearchHit> sources) implements AnswerEvent {
    }

    /** New text of the answer, in order. */
    record TextDelta(String text) implements AnswerEvent {
    }

    /** The end of the stream: the whole answer with its sources and usage. */
    record Completed(Answer answer) implements AnswerEvent {
    }
}
