package io.multimodalrag.answer;

import java.util.List;

/**
 * One message of a chat request. {@code content} is what the OpenAI schema allows there: a string
 * (used for the system message, which every compatible server accepts) or a list of
 * {@link ContentPart}s (text and images, for the user's message).
 *
 * @param role    {@code system} or {@code user}
 * @param content a {@link String} or a {@code List<ContentPart>}
 */
public record ChatMessage(String role, Object content) {

    /** Instructions to the model. */
    public static ChatMessage system(String text) {
        return new ChatMessage("system", text);
    }

    /** The user's turn: text and images in order. */
    public static ChatMessage user(List<ContentPart> parts) {
        return new ChatMessage("user", List.copyOf(parts));
    }
}
