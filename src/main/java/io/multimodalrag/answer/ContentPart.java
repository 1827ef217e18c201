package io.multimodalrag.answer;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One part of a multimodal user message: {@code {"type":"text","text":...}} or
 * {@code {"type":"image_url","image_url":{"url":"data:image/jpeg;base64,..."}}}.
 *
 * @param type     {@code text} or {@code image_url}
 * @param text     the text of a text part
 * @param imageUrl the image of an image part
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ContentPart(String type, String text, @JsonProperty("image_url") ImageUrl imageUrl) {

    /** An image given by URL; here always a data URL, so the LLM never fetches anything. */
    public record ImageUrl(String url) {
    }

    public static ContentPart text(String text) {
        return new ContentPart("text", text, null);
    }

    public static ContentPart image(String url) {
        return new ContentPart("image_url", null, new ImageUrl(url));
    }
}
