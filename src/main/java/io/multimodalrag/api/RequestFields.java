package io.multimodalrag.api;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Parsing of optional numeric fields (multipart form fields, query parameters, JSON members) with
 * 400 answers that name the field and its range.
 */
final class RequestFields {

    static final int MAX_K = 100;
    static final int MAX_QUESTION_LENGTH = 2000;

    private RequestFields() {
    }

    /** {@code k}: how many results, 1 to 100. */
    static int k(String value, int defaultValue) {
        if (value == null || value.isBlank()) {
            return defaultValue;
        }
        int k;
        try {
            k = asciiInteger(value.strip());
        } catch (NumberFormatException e) {
            throw notAWholeK("'" + abbreviate(value) + "'");
        }
        return checkK(k);
    }

    /** {@code k} as a JSON member: absent or null for the default, else a whole number from 1 to 100. */
    static int k(JsonNode value, int defaultValue) {
        if (absent(value)) {
            return defaultValue;
        }
        if (!value.isIntegralNumber()) {
            throw notAWholeK(abbreviate(value.toString()));
        }
        if (!value.canConvertToInt()) {
            throw ApiException.badField("'k' must be from 1 to " + MAX_K + ", got " + abbreviate(value.toString()));
        }
        return checkK(value.intValue());
    }

    /**
     * A whole number written with the digits 0-9 only: {@link Integer#parseInt} also takes other scripts' digits
     * ("۵", "٣"), which no other layer (a cache key, a log search, a proxy rule) would read as the same number.
     */
    private static int asciiInteger(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if ((c < '0' || c > '9') && !(i == 0 && (c == '-' || c == '+') && text.length() > 1)) {
                throw new NumberFormatException("not an ASCII whole number");
            }
        }
        return Integer.parseInt(text);
    }

    private static int checkK(int k) {
        if (k < 1 || k > MAX_K) {
            throw ApiException.badField("'k' must be from 1 to " + MAX_K + ", got " + k);
        }
        return k;
    }

    private static ApiException notAWholeK(String shown) {
        return ApiException.badField("'k' must be a whole number from 1 to " + MAX_K + " written with the digits 0-9, got "
                + shown);
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
            throw notANumericMinScore("'" + abbreviate(value) + "'");
        }
        return checkMinScore(score, value.strip());
    }

    /** {@code minScore} as a JSON member: absent or null for -1, else a number from -1 to 1. */
    static float minScore(JsonNode value) {
        if (absent(value)) {
            return -1f;
        }
        if (!value.isNumber()) {
            throw notANumericMinScore(abbreviate(value.toString()));
        }
        return checkMinScore(value.floatValue(), abbreviate(value.toString()));
    }

    private static float checkMinScore(float score, String shown) {
        if (!(score >= -1f && score <= 1f)) {
            throw ApiException.badField("'minScore' must be from -1 to 1, got " + shown);
        }
        return score;
    }

    private static ApiException notANumericMinScore(String shown) {
        return ApiException.badField("'minScore' must be a number from -1 to 1, got " + shown);
    }

    /** Whether a JSON member was left out or sent as null. */
    static boolean absent(JsonNode value) {
        return value == null || value.isNull() || value.isMissingNode();
    }

    /** A whole number within bounds, for paging parameters. */
    static int bounded(String name, String value, int defaultValue, int min, int max) {
        if (value == null || value.isBlank()) {
            return defaultValue;
        }
        try {
            int parsed = asciiInteger(value.strip());
            if (parsed >= min && parsed <= max) {
                return parsed;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiException.badField("'" + name + "' must be a whole number from " + min + " to " + max
                + ", got '" + abbreviate(value) + "'");
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

    static String abbreviate(String value) {
        return value.length() <= 32 ? value : value.substring(0, 32) + "…";
    }
}
