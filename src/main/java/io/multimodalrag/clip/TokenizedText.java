package io.multimodalrag.clip;

/**
 * One text as the text tower reads it.
 *
 * @param ids    token ids: {@code <|startoftext|>}, the text's tokens, {@code <|endoftext|>}, then
 *               padding up to the context length
 * @param length how many positions hold tokens (start and end token included); the attention mask is
 *               1 for these and 0 for the padding
 */
public record TokenizedText(long[] ids, int length) {

    public TokenizedText {
        if (length < 2 || length > ids.length) {
            throw new IllegalArgumentException("length " + length + " outside 2.." + ids.length);
        }
    }
}
