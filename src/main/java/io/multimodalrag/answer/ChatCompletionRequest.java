package io.multimodalrag.answer;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * The body of {@code POST /chat/completions} in the OpenAI API, as far as this service uses it.
 * Absent fields are left out of the JSON, so servers that do not know them (older vLLM, Ollama)
 * never see them.
 *
 * @param model         the model to ask
 * @param messages      the system message, then the user's message
 * @param maxCompletionTokens upper bound on the answer's tokens, as OpenAI asks for it today; null when the server
 *                      is told {@code max_tokens} instead
 * @param maxTokens     the same bound under its deprecated name, for servers that know only that
 * @param temperature   sampling temperature; null for the server's default
 * @param stream        true to receive the answer as server-sent events; null for one JSON body
 * @param streamOptions with {@code include_usage}, so that a stream ends with the token counts
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ChatCompletionRequest(
        String model,
        List<ChatMessage> messages,
        @JsonProperty("max_completion_tokens") Integer maxCompletionTokens,
        @JsonProperty("max_tokens") Integer maxTokens,
        Double temperature,
        Boolean stream,
        @JsonProperty("stream_options") StreamOptions streamOptions) {

    /** {@code stream_options}: ask for a last chunk carrying the usage of the whole stream. */
    public record StreamOptions(@JsonProperty("include_usage") boolean includeUsage) {
    }

    /** The same request, asking for a stream that ends with the usage. */
    public ChatCompletionRequest streaming() {
        return new ChatCompletionRequest(model, messages, maxCompletionTokens, maxTokens, temperature, true,
                new StreamOptions(true));
    }
}
