package io.multimodalrag.answer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.multimodalrag.search.KnowledgeBaseEntry;
import io.multimodalrag.search.SearchHit;
import io.multimodalrag.testing.OpenAiSchemas;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

class PromptBuilderTest {

    private static final PromptImage PHOTO = new PromptImage("image/png", "data:image/png;base64,AAAA", 1, 1);
    private static final ObjectMapper JSON = new ObjectMapper();

    private static PromptBuilder.Reference reference(String id, String description, float score) {
        KnowledgeBaseEntry entry = new KnowledgeBaseEntry(id, "image_database/" + id + ".jpg", description, "hash",
                "image/jpeg", Path.of("image_database", id + ".jpg"));
        return new PromptBuilder.Reference(new SearchHit(entry, score),
                new PromptImage("image/jpeg", "data:image/jpeg;base64," + id, 1, 1));
    }

    private static PromptBuilder builder(String model, int maxTokens, OptionalDouble temperature) {
        return new PromptBuilder(model, PromptBuilder.DEFAULT_SYSTEM_PROMPT, PromptBuilder.MAX_COMPLETION_TOKENS, maxTokens,
                temperature);
    }

    @Test
    void aReferenceThatIsThePhotoItselfIsNamedButNotSentAgain() {
        PromptBuilder.Reference same = PromptBuilder.Reference.thePhotoItself(reference("chelsea-cat", "A brown tabby cat.",
                1.0f).hit());
        ChatCompletionRequest request = builder("gpt-4o", 300, OptionalDouble.empty()).build("Which breed?",
                PHOTO, List.of(same, reference("two-dogs-on-deck", "Two dogs on a deck.", 0.42f)));
        JsonNode parts = JSON.valueToTree(request).path("messages").get(1).path("content");

        List<String> images = new java.util.ArrayList<>();
        parts.forEach(part -> {
            if (part.path("type").asText().equals("image_url")) {
                images.add(part.path("image_url").path("url").asText());
            }
        });
        assertEquals(List.of(PHOTO.dataUrl(), "data:image/jpeg;base64,two-dogs-on-deck"), images,
                "the photo once, then only the other reference's image");
        assertTrue(parts.get(2).path("text").asText().contains("\"chelsea-cat\""), parts.get(2).toString());
        assertEquals(PromptBuilder.SAME_AS_PHOTO, parts.get(3).path("text").asText());
    }

    @Test
    void theRequestAsTheApiExpectsIt() {
        ChatCompletionRequest request = builder("gpt-4o", 300, OptionalDouble.of(0.3)).build("Which breed?",
                PHOTO, List.of(reference("chelsea-cat", "A brown tabby cat.", 0.91f),
                        reference("two-dogs-on-deck", "Two dogs on a deck.", 0.42f)));
        JsonNode json = JSON.valueToTree(request);

        assertEquals("gpt-4o", json.path("model").asText());
        assertEquals(300, json.path("max_completion_tokens").asInt());
        assertTrue(json.path("max_tokens").isMissingNode(), "the deprecated name is left out");
        assertEquals(0.3, json.path("temperature").asDouble(), 1e-9);
        assertTrue(json.path("stream").isMissingNode(), "left out unless streaming");
        assertTrue(json.path("stream_options").isMissingNode());
        assertEquals("system", json.path("messages").get(0).path("role").asText());
        assertEquals(PromptBuilder.DEFAULT_SYSTEM_PROMPT, json.path("messages").get(0).path("content").asText());

        JsonNode parts = json.path("messages").get(1).path("content");
        assertEquals(List.of("text", "image_url", "text", "image_url", "text", "image_url", "text", "text"),
                JSON.convertValue(parts.findValues("type").stream().map(JsonNode::asText).toList(), List.class));
        assertEquals(PHOTO.dataUrl(), parts.get(1).path("image_url").path("url").asText());
        assertEquals("Reference 1 of 2: knowledge-base image \"chelsea-cat\" (similarity 0.910 to the photo)."
                + " Its description: A brown tabby cat.", parts.get(2).path("text").asText());
        assertEquals("data:image/jpeg;base64,chelsea-cat", parts.get(3).path("image_url").path("url").asText());
        assertTrue(parts.get(4).path("text").asText().contains("\"two-dogs-on-deck\""));
        assertEquals("Question: Which breed?", parts.get(6).path("text").asText());
        assertTrue(parts.get(6).path("image_url").isMissingNode(), "text parts carry no image_url");
        assertEquals("Write the answer in the language of the question, whatever language the descriptions are in.",
                parts.get(7).path("text").asText());
    }

    @Test
    void withoutReferencesTheModelIsToldThereAreNone() {
        ChatCompletionRequest request = builder("m", 10, OptionalDouble.empty()).build("What?", PHOTO, List.of());
        assertNull(request.temperature());
        @SuppressWarnings("unchecked")
        List<ContentPart> parts = (List<ContentPart>) request.messages().get(1).content();
        assertEquals(5, parts.size());
        assertEquals(PromptBuilder.NO_REFERENCE, parts.get(2).text());
    }

    @Test
    void streamingAsksForTheUsageToo() {
        ChatCompletionRequest request = builder("m", 10, OptionalDouble.empty()).build("What?", PHOTO, List.of())
                .streaming();
        JsonNode json = JSON.valueToTree(request);
        assertTrue(json.path("stream").asBoolean());
        assertTrue(json.path("stream_options").path("include_usage").asBoolean());
    }

    @Test
    void serversThatKnowOnlyMaxTokensAreGivenThat() {
        JsonNode json = JSON.valueToTree(new PromptBuilder("m", PromptBuilder.DEFAULT_SYSTEM_PROMPT,
                PromptBuilder.MAX_TOKENS, 42, OptionalDouble.empty()).build("What?", PHOTO, List.of()));
        assertEquals(42, json.path("max_tokens").asInt());
        assertTrue(json.path("max_completion_tokens").isMissingNode());
    }

    @Test
    void theSystemPromptIsConfigurableAndTheAnswerLanguageStillAskedFor() {
        ChatCompletionRequest request = new PromptBuilder("m", "Be brief.", PromptBuilder.MAX_COMPLETION_TOKENS, 10,
                OptionalDouble.empty()).build("ظرفیت این دستگاه چقدر است؟", PHOTO, List.of());
        JsonNode json = JSON.valueToTree(request);
        assertEquals("Be brief.", json.path("messages").get(0).path("content").asText());
        JsonNode parts = json.path("messages").get(1).path("content");
        assertEquals("Write the answer in Persian (فارسی), the language of the question, whatever language the"
                + " descriptions are in.", parts.get(parts.size() - 1).path("text").asText());
    }

    @Test
    void aBadTokenFieldOrABlankSystemPromptIsRefusedNamingTheSetting() {
        IllegalArgumentException field = assertThrows(IllegalArgumentException.class,
                () -> new PromptBuilder("m", "x", "max_new_tokens", 10, OptionalDouble.empty()));
        assertTrue(field.getMessage().contains("rag.llm.max-tokens-field"), field.getMessage());
        IllegalArgumentException prompt = assertThrows(IllegalArgumentException.class,
                () -> new PromptBuilder("m", "  ", PromptBuilder.MAX_TOKENS, 10, OptionalDouble.empty()));
        assertTrue(prompt.getMessage().contains("rag.llm.system-prompt"), prompt.getMessage());
    }

    @Test
    void everyRequestValidatesAgainstOpenAisPublishedSchemaAndTheCheckBites() {
        List<PromptBuilder.Reference> references = List.of(reference("chelsea-cat", "A brown tabby cat.", 0.91f),
                PromptBuilder.Reference.thePhotoItself(reference("same", "The photo.", 1f).hit()));
        for (OptionalDouble temperature : List.of(OptionalDouble.empty(), OptionalDouble.of(0.7))) {
            ChatCompletionRequest request = builder("gpt-4o", 300, temperature).build("Which breed?", PHOTO, references);
            OpenAiSchemas.assertValid("CreateChatCompletionRequest", JSON.valueToTree(request));
            OpenAiSchemas.assertValid("CreateChatCompletionRequest", JSON.valueToTree(request.streaming()));
            OpenAiSchemas.assertValid("CreateChatCompletionRequest",
                    JSON.valueToTree(builder("gpt-4o", 300, temperature).build("Which?", PHOTO, List.of())));
        }
        // The check refuses what OpenAI marks deprecated, and what does not fit the schema.
        JsonNode legacy = JSON.valueToTree(new PromptBuilder("m", "x", PromptBuilder.MAX_TOKENS, 10,
                OptionalDouble.empty()).build("What?", PHOTO, List.of()));
        AssertionFailedError deprecated = assertThrows(AssertionFailedError.class,
                () -> OpenAiSchemas.assertValid("CreateChatCompletionRequest", legacy));
        assertTrue(deprecated.getMessage().contains("$.max_tokens: deprecated"), deprecated.getMessage());
        ObjectNode badRole = JSON.valueToTree(builder("m", 10, OptionalDouble.empty()).build("What?", PHOTO, List.of()));
        ((ObjectNode) badRole.path("messages").get(0)).put("role", "narrator");
        assertThrows(AssertionFailedError.class, () -> OpenAiSchemas.assertValid("CreateChatCompletionRequest", badRole));
    }
}
