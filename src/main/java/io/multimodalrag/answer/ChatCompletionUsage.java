package io.multimodalrag.answer;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Tokens billed for one completion. Either count may be null when a compatible server leaves it
 * out.
 */
public record ChatCompletionUsage(
        @JsonProperty("prompt_tokens") Integer promptTokens,
        @JsonProperty("completion_tokens") Integer completionTokens) {
}
