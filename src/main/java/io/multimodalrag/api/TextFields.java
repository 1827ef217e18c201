package io.multimodalrag.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.multimodalrag.config.RagConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks the texts of JSON requests before any work is spent on them: present, strings, not blank,
 * at most {@code rag.text.max-length} characters; lists of 1 to {@code rag.text.max-inputs} of them.
 * Texts longer than CLIP's 77 tokens are accepted and truncated by the tokenizer, as CLIP does.
 */
@ApplicationScoped
public class TextFields {

    private final int maxLength;
    private final int maxInputs;

    public TextFields(RagConfig config) {
        this.maxLength = config.text().maxLength();
        this.maxInputs = config.text().maxInputs();
    }

    /** The text of the JSON member {@code name}, or a 400 problem; {@code example} shows a valid body. */
    String require(String name, JsonNode value, String example) {
        if (RequestFields.absent(value)) {
            throw ApiException.badField("'" + name + "' is missing; send e.g. " + example);
        }
        return check(name, value);
    }

    /** One text or a list of texts, as the JSON member {@code name} holds them, or a 400 problem. */
    List<String> requireOneOrMore(String name, JsonNode value, String example) {
        if (RequestFields.absent(value)) {
            throw ApiException.badField("'" + name + "' is missing; send e.g. " + example);
        }
        if (!value.isArray()) {
            return List.of(check(name, value));
        }
        if (value.isEmpty() || value.size() > maxInputs) {
            throw ApiException.badField("'" + name + "' must hold 1 to " + maxInputs + " texts (rag.text.max-inputs), got "
                    + value.size());
        }
        List<String> texts = new ArrayList<>(value.size());
        for (int i = 0; i < value.size(); i++) {
            texts.add(check(name + "[" + i + "]", value.get(i)));
        }
        return texts;
    }

    private String check(String name, JsonNode value) {
        if (!value.isTextual()) {
            throw ApiException.badField("'" + name + "' must be a string, got " + kind(value));
        }
        String text = value.textValue();
        if (text.isBlank()) {
            throw ApiException.badField("'" + name + "' is empty or only whitespace");
        }
        int length = text.codePointCount(0, text.length());
        if (length > maxLength) {
            throw ApiException.badField("'" + name + "' is " + length + " characters long; the limit is " + maxLength
                    + " (rag.text.max-length). CLIP reads only the first 77 tokens, about 50 words");
        }
        return text;
    }

    private static String kind(JsonNode value) {
        return switch (value.getNodeType()) {
            case ARRAY -> "an array";
            case OBJECT, POJO -> "an object";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            default -> RequestFields.abbreviate(value.toString());
        };
    }
}
