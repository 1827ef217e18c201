package io.multimodalrag.answer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ChatCompletionChunkTest {

    @Test
    void aDeltaChunkCarriesItsText() {
        ChatCompletionChunk chunk = ChatCompletionChunk.parse("{\"id\":\"c\",\"object\":\"chat.completion.chunk\","
                + "\"model\":\"gpt-4o\",\"system_fingerprint\":\"fp\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"},"
                + "\"logprobs\":null,\"finish_reason\":null}]}");
        assertEquals("Hel", chunk.text());
        assertEquals("gpt-4o", chunk.model());
    }

    @Test
    void theUsageChunkHasNoText() {
        ChatCompletionChunk chunk = ChatCompletionChunk.parse(
                "{\"choices\":[],\"usage\":{\"prompt_tokens\":812,\"completion_tokens\":40,\"total_tokens\":852}}");
        assertEquals("", chunk.text());
        assertEquals(812, chunk.usage().promptTokens());
        assertEquals(40, chunk.usage().completionTokens());
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"choices\": [", "not json", "", "   ", "null"})
    void anythingElseIsMalformed(String data) {
        UpstreamException e = assertThrows(UpstreamException.class, () -> ChatCompletionChunk.parse(data));
        assertEquals(UpstreamException.Kind.MALFORMED, e.kind());
    }
}
