package io.multimodalrag.answer;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;

/**
 * One server-sent event of a streamed chat completion: a piece of the answer in
 * {@code choices[0].delta.content}, or, last when {@code stream_options.include_usage} was asked,
 * no choices and the usage of the whole stream.
 *
 * @param id      the upstream's id of the completion
 * @param model   the model that answers
 * @param choices the pieces; empty in the usage chunk
 * @param usage   set in the usage chunk only
 * @param error   set when the upstream reports a failure in the middle of the stream
 */
public record ChatCompletionChunk(String id, String model, List<ChunkChoice> choices, ChatCompletionUsage usage,
        UpstreamError error) {

    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    /** The {@code data: [DONE]} event that ends an OpenAI stream. */
    public static final ChatCompletionChunk DONE = new ChatCompletionChunk(null, null, List.of(), null, null);

    /**
     * The chunk in the data of one event; {@link #DONE} for {@code [DONE]}.
     *
     * @throws UpstreamException of kind MALFORMED when it is not one
     */
    public static ChatCompletionChunk parse(String data) {
        if (data != null && "[DONE]".equals(data.strip())) {
            return DONE;
        }
        try {
            ChatCompletionChunk chunk = data == null || data.isBlank() ? null : JSON.readValue(data, ChatCompletionChunk.class);
            if (chunk == null) {
                throw UpstreamException.malformed("the vision LLM streamed an empty event", null);
            }
            return chunk;
        } catch (JsonProcessingException e) {
            throw UpstreamException.malformed("the vision LLM streamed an event that is not a chat-completion chunk", null);
        }
    }

    /** A piece of one answer. */
    public record ChunkChoice(int index, Delta delta, @JsonProperty("finish_reason") String finishReason) {
    }

    /** New text of the answer (or, first, only the role). */
    public record Delta(String role, String content, String refusal) {
    }

    /**
     * Whether the upstream says the answer is complete with this chunk: it is {@link #DONE}, or its choice has a
     * {@code finish_reason}. A stream that ends without either was cut off.
     */
    public boolean ends() {
        return this == DONE || choices != null && !choices.isEmpty() && choices.get(0).finishReason() != null;
    }

    /** The text this chunk adds to the answer; empty when it adds none. */
    public String text() {
        if (choices == null || choices.isEmpty() || choices.get(0).delta() == null) {
            return "";
        }
        Delta delta = choices.get(0).delta();
        String text = delta.content() != null ? delta.content() : delta.refusal();
        return text == null ? "" : text;
    }
}
