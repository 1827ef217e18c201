package io.multimodalrag.answer;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * The JSON answer of {@code POST /chat/completions}.
 *
 * @param id      the upstream's id of the completion
 * @param model   the model that answered, as the upstream names it
 * @param choices the answers; this service asks for one
 * @param usage   tokens billed
 * @param error   set instead of the rest by gateways that report failures with a 200 status
 */
public record ChatCompletionResponse(String id, String model, List<Choice> choices, ChatCompletionUsage usage,
        UpstreamError error) {

    /** One answer. */
    public record Choice(int index, Message message, @JsonProperty("finish_reason") String finishReason) {
    }

    /**
     * The assistant's message: {@code content}, or {@code refusal} when the model declined to answer.
     */
    public record Message(String role, String content, String refusal) {
    }
}
