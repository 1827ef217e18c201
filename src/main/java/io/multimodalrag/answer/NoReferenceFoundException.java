package io.multimodalrag.answer;

import java.util.Locale;

/**
 * No knowledge-base image scored at least {@code minScore} while {@code rag.ask.require-match} is
 * on, so the question is refused rather than answered without a reference.
 */
public final class NoReferenceFoundException extends RuntimeException {

    public NoReferenceFoundException(float minScore) {
        super(String.format(Locale.ROOT, "no knowledge-base image is similar enough to the photo (minScore %s)"
                + " and rag.ask.require-match is on; lower minScore or add a similar image to the knowledge base",
                Float.toString(minScore)), null, false, false);
    }
}
