package io.multimodalrag.clip;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A text tower's own {@code tokenizer.json}, read by Hugging Face's tokenizers (the Rust library, through DJL's
 * binding, natives in its jar): normaliser, pre-tokenizer, model (Unigram for XLM-R, WordPiece, BPE) and the special
 * tokens its post-processor adds, exactly as the tower was trained with. Texts are cut to the context (special tokens
 * kept) and padded with the file's {@code <pad>} token.
 */
final class TokenizerJson implements TextTokenizer, AutoCloseable {

    private final HuggingFaceTokenizer tokenizer;
    private final long padId;
    private final String source;

    private TokenizerJson(HuggingFaceTokenizer tokenizer, long padId, String source) {
        this.tokenizer = tokenizer;
        this.padId = padId;
        this.source = source;
    }

    /**
     * Opens {@code file} for texts of at most {@code contextLength} tokens.
     *
     * @throws ModelUnavailableException when the file cannot be read or the tokenizers library cannot load
     */
    static TokenizerJson open(Path file, int contextLength) {
        long padId;
        try {
            padId = padId(new ObjectMapper().readTree(file.toFile()));
        } catch (IOException e) {
            throw new ModelUnavailableException("cannot read the text tower's tokenizer " + file + ": " + e.getMessage(), e);
        }
        try {
            HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.builder().optTokenizerPath(file)
                    .optMaxLength(contextLength).optTruncation(true).optPadding(false).optAddSpecialTokens(true).build();
            return new TokenizerJson(tokenizer, padId, file.toString());
        } catch (IOException | RuntimeException e) {
            throw new ModelUnavailableException("the text tower's tokenizer " + file + " cannot be used: " + e.getMessage(), e);
        } catch (UnsatisfiedLinkError e) {
            throw new ModelUnavailableException("the tokenizers library (DJL, native) cannot load on this machine: "
                    + e.getMessage() + "; it unpacks into DJL_CACHE_DIR (default ~/.djl.ai), which must be writable", e);
        }
    }

    /** The id of {@code <pad>} among the added tokens, else the padding configuration's, else 0. */
    private static long padId(JsonNode json) {
        for (JsonNode token : json.path("added_tokens")) {
            if ("<pad>".equals(token.path("content").asText()) || "[PAD]".equals(token.path("content").asText())) {
                return token.path("id").asLong();
            }
        }
        return json.path("padding").path("pad_id").asLong(0);
    }

    @Override
    public TokenizedText tokenize(String text, int contextLength) {
        Encoding encoding = tokenizer.encode(text);
        long[] tokens = encoding.getIds();
        int length = Math.min(tokens.length, contextLength);
        long[] ids = Arrays.copyOf(tokens, contextLength);
        Arrays.fill(ids, length, contextLength, padId);
        return new TokenizedText(ids, length);
    }

    @Override
    public String source() {
        return source;
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
