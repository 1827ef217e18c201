package io.multimodalrag.answer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.multimodalrag.search.KnowledgeBaseEntry;
import io.multimodalrag.search.SearchHit;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

class PromptBuilderTest {

    private static final PromptImage PHOTO = new PromptImage("image/png", "data:image/png;base64,AAAA", 1, 1);
    private static final ObjectMapper JSON = new ObjectMapper();

    private static PromptBuilder.Reference reference(String id, String description, float score) {
        KnowledgeBaseEntry entry = new KnowledgeBaseEntry(id, "image_database/" + id + ".jpg", description, "hash",
                "image/jpeg", Path.of("image_database", id + ".jpg"));
        return new PromptBuilder.Reference(new SearchHit(entry, score),
                new PromptImage("image/jpeg", "data:image/jpeg;base64," + id, 1, 1));
    }

    @Test
    void aReferenceThatIsThePhotoItselfIsNamedButNotSentAgain() {
        PromptBuilder.Reference same = PromptBuilder.Reference.thePhotoItself(reference("chelsea-cat", "A brown tabby cat.",
                1.0f).hit());
        ChatCompletionRequest request = new PromptBuilder("gpt-4o", 300, OptionalDouble.empty()).build("Which breed?",
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
        ChatCompletionRequest request = new PromptBuilder("gpt-4o", 300, OptionalDouble.of(0.3)).build("Which breed?",
                PHOTO, List.of(reference("chelsea-cat", "A brown tabby cat.", 0.91f),
                        reference("two-dogs-on-deck", "Two dogs on a deck.", 0.42f)));
        JsonNode json = JSON.valueToTree(request);

        assertEquals("gpt-4o", json.path("model").asText());
        assertEquals(300, json.path("max_tokens").asInt());
        assertEquals(0.3, json.path("temperature").asDouble(), 1e-9);
        assertTrue(json.path("stream").isMissingNode(), "left out unless streaming");
        assertTrue(json.path("stream_options").isMissingNode());
        assertEquals("system", json.path("messages").get(0).path("role").asText());
        assertEquals(PromptBuilder.SYSTEM_PROMPT, json.path("messages").get(0).path("content").asText());

        JsonNode parts = json.path("messages").get(1).path("content");
        assertEquals(List.of("text", "image_url", "text", "image_url", "text", "image_url", "text"),
                JSON.convertValue(parts.findValues("type").stream().map(JsonNode::asText).toList(), List.class));
        assertEquals(PHOTO.dataUrl(), parts.get(1).path("image_url").path("url").asText());
        assertEquals("Reference 1 of 2: knowledge-base image \"chelsea-cat\" (similarity 0.910 to the photo)."
                + " Its description: A brown tabby cat.", parts.get(2).path("text").asText());
        assertEquals("data:image/jpeg;base64,chelsea-cat", parts.get(3).path("image_url").path("url").asText());
        assertTrue(parts.get(4).path("text").asText().contains("\"two-dogs-on-deck\""));
        assertEquals("Question: Which breed?", parts.get(6).path("text").asText());
        assertTrue(parts.get(6).path("image_url").isMissingNode(), "text parts carry no image_url");
    }

    @Test
    void withoutReferencesTheModelIsToldThereAreNone() {
        ChatCompletionRequest request = new PromptBuilder("m", 10, OptionalDouble.empty()).build("What?", PHOTO, List.of());
        assertNull(request.temperature());
        @SuppressWarnings("unchecked")
        List<ContentPart> parts = (List<ContentPart>) request.messages().get(1).content();
        assertEquals(4, parts.size());
        assertEquals(PromptBuilder.NO_REFERENCE, parts.get(2).text());
    }

    @Test
    void streamingAsksForTheUsageToo() {
        ChatCompletionRequest request = new PromptBuilder("m", 10, OptionalDouble.empty()).build("What?", PHOTO, List.of())
                .streaming();
        JsonNode json = JSON.valueToTree(request);
        assertTrue(json.path("stream").asBoolean());
        assertTrue(json.path("stream_options").path("include_usage").asBoolean());
    }
}
