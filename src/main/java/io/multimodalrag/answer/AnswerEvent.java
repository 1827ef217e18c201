package io.multimodalrag.answer;

/** What a streamed answer emits: pieces of text as they arrive, then the complete answer once. */
public sealed interface AnswerEvent {

    /** New text of the answer, in order. */
    record TextDelta(String text) implements AnswerEvent {
    }

    /** The end of the stream: the whole answer with its sources and usage. */
    record Completed(Answer answer) implements AnswerEvent {
    }
}
