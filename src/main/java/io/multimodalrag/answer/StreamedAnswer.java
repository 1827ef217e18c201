package io.multimodalrag.answer;

import io.multimodalrag.search.SearchHit;
import java.util.List;

/**
 * One streamed answer as its chunks arrive: the text so far, within {@code rag.llm.max-answer-length}, the usage and
 * model the upstream reports, and whether it said the answer is complete ({@code finish_reason} or {@code [DONE]}).
 * Chunks arrive one at a time, the end after the last; synchronized for the threads they may arrive on.
 */
final class StreamedAnswer {

    private final VisionLlmCalls calls;
    private final int maxLength;
    private final StringBuilder text = new StringBuilder();
    private ChatCompletionUsage usage;
    private String model;
    private boolean complete;

    StreamedAnswer(VisionLlmCalls calls, int maxLength) {
        this.calls = calls;
        this.maxLength = maxLength;
    }

    /** The events {@code chunk} makes (its text, if any); an error in it, or text beyond the limit, fails the stream. */
    synchronized List<AnswerEvent> add(ChatCompletionChunk chunk) {
        if (chunk.error() != null) {
            throw calls.redacted(UpstreamException.malformed("the vision LLM reported an error in the middle"
                    + " of its answer", chunk.error().message()));
        }
        if (chunk.ends()) {
            complete = true;
        }
        if (chunk.usage() != null) {
            usage = chunk.usage();
        }
        if (chunk.model() != null) {
            model = chunk.model();
        }
        String piece = chunk.text();
        if (text.length() + piece.length() > maxLength) {
            throw calls.failed(UpstreamException.tooLong(maxLength), 1);
        }
        text.append(piece);
        return piece.isEmpty() ? List.of() : List.of(new AnswerEvent.TextDelta(piece));
    }

    /**
     * The whole answer once the stream has ended, or why it is not one: cut off ({@code timeUp}: by
     * {@code totalTimeout}, else upstream or on the way) or without text.
     */
    synchronized Answer finish(UpstreamException timeUp, List<SearchHit> sources, String configuredModel, long tookMs) {
        if (!complete) {
            throw calls.failed(timeUp != null ? timeUp : UpstreamException.truncated(), 1);
        }
        if (text.toString().isBlank()) {
            throw UpstreamException.malformed("the vision LLM's stream ended without any text", null);
        }
        return new Answer(text.toString(), sources, model != null ? model : configuredModel, usage, tookMs);
    }
}
