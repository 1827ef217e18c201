package io.multimodalrag.api;

/** Parsing of optional numeric form fields with 400 answers that name the field and its range. */
final class FormFields {

    static final int MAX_K = 100;
    static final int MAX_QUESTION_LENGTH = 2000;

    private FormFields() {
    }

    /** {@code k}: how many results, 1 to 100. */
    static int k(String value, int defaultValue) {
        if (value == null || value.isBlank()) {
            return defaultValue;
        }
        int k;
        try {
            k = Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw ApiException.badField("'k' must be a whole number from 1 to " + MAX_K + ", got '" + abbreviate(value) + "'");
        }
        if (k < 1 || k > MAX_K) {
            throw ApiException.badField("'k' must be from 1 to " + MAX_K + ", got " + k);
        }
        return k;
    }

    /** {@code minScore}: the lowest cosine similarity returned, -1 to 1. */
    static float minScore(String value) {
        if (value == null || value.isBlank()) {
            return -1f;
        }
        float score;
        try {
            score = Float.parseFloat(value.strip());
        } catch (NumberFormatException e) {
            throw ApiException.badField("'minScore' must be a number from -1 to 1, got '" + abbreviate(value) + "'");
        }
        if (!(score >= -1f && score <= 1f)) {
            throw ApiException.badField("'minScore' must be from -1 to 1, got " + value.strip());
        }
        return score;
    }

    /** {@code question}: required, not blank, at most 2,000 characters (code points), returned stripped. */
    static String question(String value) {
        if (value == null) {
            throw ApiException.badField("the multipart part 'question' is missing; send it as -F question='What is this?'");
        }
        String question = value.strip();
        if (question.isEmpty()) {
            throw ApiException.badField("'question' is blank; ask something about the photo");
        }
        int length = question.codePointCount(0, question.length());
        if (length > MAX_QUESTION_LENGTH) {
            throw ApiException.badField("'question' must be at most " + MAX_QUESTION_LENGTH + " characters, got " + length);
        }
        return question;
    }

    /** A whole number within bounds, for paging parameters. */
    static int bounded(String name, String value, int defaultValue, int min, int max) {
        if (value == null || value.isBlank()) {
            return defaultValue;
        }
        try {
            int parsed = Integer.parseInt(value.strip());
            if (parsed >= min && parsed <= max) {
                return parsed;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiException.badField("'" + name + "' must be a whole number from " + min + " to " + max
                + ", got '" + abbreviate(value) + "'");
    }

    private static String abbreviate(String value) {
        return value.length() <= 32 ? value : value.substring(0, 32) + "…";
    }
}
