package io.multimodalrag.clip;

/** Turns a text into the token ids a text tower reads: CLIP's own BPE ({@link ClipTokenizer}) or a tokenizer.json. */
public interface TextTokenizer {

    /** The ids of {@code text}, special tokens included, cut or padded to exactly {@code contextLength}. */
    TokenizedText tokenize(String text, int contextLength);

    /** Where the vocabulary came from, for the start-up log. */
    String source();
}
