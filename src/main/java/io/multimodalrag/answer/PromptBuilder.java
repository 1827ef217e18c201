package io.multimodalrag.answer;

import io.multimodalrag.search.SearchHit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;

/**
 * Builds the grounded chat request: a system message that confines the model to the
 * knowledge base, then one user message holding the user's photo, each retrieved image with its
 * description and similarity, the question, and in which language to answer ({@link AnswerLanguage}). Pure: images
 * arrive already encoded.
 */
public final class PromptBuilder {

    /** What the model is told before anything else, unless {@code rag.llm.system-prompt} says otherwise. */
    public static final String DEFAULT_SYSTEM_PROMPT = """
            You answer questions about the user's photo. With it come reference images from a knowledge base, \
            retrieved because they look similar to the photo, each with a description written by the \
            knowledge base's curators. Answer from those descriptions: use the images only to judge which \
            reference matches the photo and how closely. Name the reference you relied on. If the descriptions \
            do not cover the question, or no reference matches the photo, say so plainly instead of guessing. \
            Always answer in the language of the user's question, whatever language the descriptions are in.""";

    /** Stands in for the references when retrieval found none at or above minScore. */
    static final String NO_REFERENCE = "No reference image in the knowledge base is similar enough to this photo,"
            + " so there is no description to answer from.";

    /** The two names of the bound on an answer's tokens ({@code rag.llm.max-tokens-field}). */
    public static final String MAX_COMPLETION_TOKENS = "max_completion_tokens";
    public static final String MAX_TOKENS = "max_tokens";

    private final String model;
    private final String systemPrompt;
    private final boolean legacyMaxTokens;
    private final int maxTokens;
    private final OptionalDouble temperature;

    /**
     * @param systemPrompt   the system message
     * @param maxTokensField {@link #MAX_COMPLETION_TOKENS} (OpenAI today) or {@link #MAX_TOKENS} (servers that know
     *                       only the deprecated name)
     */
    public PromptBuilder(String model, String systemPrompt, String maxTokensField, int maxTokens,
            OptionalDouble temperature) {
        if (!MAX_COMPLETION_TOKENS.equals(maxTokensField) && !MAX_TOKENS.equals(maxTokensField)) {
            throw new IllegalArgumentException("rag.llm.max-tokens-field must be " + MAX_COMPLETION_TOKENS
                    + " (OpenAI, current vLLM and Ollama) or " + MAX_TOKENS + " (servers that know only the older name)"
                    + " but was '" + maxTokensField + "'");
        }
        if (systemPrompt.isBlank()) {
            throw new IllegalArgumentException("rag.llm.system-prompt must not be blank; leave it unset for the default");
        }
        this.model = model;
        this.systemPrompt = systemPrompt;
        this.legacyMaxTokens = MAX_TOKENS.equals(maxTokensField);
        this.maxTokens = maxTokens;
        this.temperature = temperature;
    }

    /**
     * A retrieved knowledge-base image and its encoded pixels; no pixels when the image is the user's photo itself
     * (the same bytes), which the request already carries.
     */
    public record Reference(SearchHit hit, PromptImage image) {

        /** A reference whose image is the user's photo: it is named, not sent a second time. */
        public static Reference thePhotoItself(SearchHit hit) {
            return new Reference(hit, null);
        }

        /** Whether this reference's image is the user's photo. */
        public boolean isThePhoto() {
            return image == null;
        }
    }

    /** Said of a reference whose image is the user's photo, in place of the image. */
    static final String SAME_AS_PHOTO = "This knowledge-base image is the user's photo itself (the same file), so it is"
            + " not repeated here.";

    /** The request for {@code question} about {@code photo}, grounded in {@code references} (best first). */
    public ChatCompletionRequest build(String question, PromptImage photo, List<Reference> references) {
        List<ContentPart> parts = new ArrayList<>();
        parts.add(ContentPart.text("The user's photo:"));
        parts.add(ContentPart.image(photo.dataUrl()));
        if (references.isEmpty()) {
            parts.add(ContentPart.text(NO_REFERENCE));
        }
        for (int i = 0; i < references.size(); i++) {
            Reference reference = references.get(i);
            parts.add(ContentPart.text(String.format(Locale.ROOT,
                    "Reference %d of %d: knowledge-base image \"%s\" (similarity %.3f to the photo). Its description: %s",
                    i + 1, references.size(), reference.hit().entry().id(), reference.hit().score(),
                    reference.hit().entry().description())));
            parts.add(reference.isThePhoto() ? ContentPart.text(SAME_AS_PHOTO)
                    : ContentPart.image(reference.image().dataUrl()));
        }
        parts.add(ContentPart.text("Question: " + question));
        parts.add(ContentPart.text(AnswerLanguage.instruction(question)));
        return new ChatCompletionRequest(model, List.of(ChatMessage.system(systemPrompt), ChatMessage.user(parts)),
                legacyMaxTokens ? null : maxTokens, legacyMaxTokens ? maxTokens : null,
                temperature.isPresent() ? temperature.getAsDouble() : null, null, null);
    }
}
