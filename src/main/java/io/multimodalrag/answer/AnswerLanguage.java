package io.multimodalrag.answer;

import java.lang.Character.UnicodeScript;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

/**
 * In which language the answer is to be written: the question's. Small vision models told only "answer in the
 * language of the question" still answer a Persian question in English when the descriptions are English, so where
 * the question's letters name its language without doubt, the instruction names it too. Only scripts that belong to
 * one language are named: Hangul (Korean), kana (Japanese), Han without kana (Chinese), Thai, Greek, Hebrew, Armenian,
 * Georgian; and the Arabic script, whose letters tell Persian (پ چ ژ گ and the Persian ی ک) from Arabic, while
 * letters of Urdu, Pashto, Kurdish or Sindhi leave it unnamed. Latin, Cyrillic, Devanagari and the rest serve many
 * languages and are left to the model.
 */
final class AnswerLanguage {

    private static final Map<UnicodeScript, String> ONE_LANGUAGE = new EnumMap<>(Map.of(
            UnicodeScript.HANGUL, "Korean (한국어)",
            UnicodeScript.THAI, "Thai (ไทย)",
            UnicodeScript.GREEK, "Greek (Ελληνικά)",
            UnicodeScript.HEBREW, "Hebrew (עברית)",
            UnicodeScript.ARMENIAN, "Armenian (Հայերեն)",
            UnicodeScript.GEORGIAN, "Georgian (ქართული)"));

    static final String PERSIAN = "Persian (فارسی)";
    static final String ARABIC = "Arabic (العربية)";
    static final String JAPANESE = "Japanese (日本語)";
    static final String CHINESE = "Chinese (中文)";

    /** Letters of the Arabic script that Persian has and Arabic has not (with ۀ, heh with yeh above). */
    private static final String PERSIAN_LETTERS = "پچژگیکۀ";
    /** Letters of the Arabic script's basic block that Arabic itself uses (hamza to yeh). */
    private static final char ARABIC_FIRST = 'ء';
    private static final char ARABIC_LAST = 'ي';

    private AnswerLanguage() {
    }

    /** The sentence the prompt ends with. */
    static String instruction(String question) {
        return named(question)
                .map(language -> "Write the answer in " + language + ", the language of the question, whatever language"
                        + " the descriptions are in.")
                .orElse("Write the answer in the language of the question, whatever language the descriptions are in.");
    }

    /** The question's language, where its letters say it without doubt. */
    static Optional<String> named(String question) {
        Map<UnicodeScript, Integer> letters = new EnumMap<>(UnicodeScript.class);
        boolean kana = false;
        for (int i = 0; i < question.length(); ) {
            int c = question.codePointAt(i);
            i += Character.charCount(c);
            if (Character.isLetter(c)) {
                UnicodeScript script = UnicodeScript.of(c);
                kana |= script == UnicodeScript.HIRAGANA || script == UnicodeScript.KATAKANA;
                letters.merge(script, 1, Integer::sum);
            }
        }
        UnicodeScript most = letters.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey)
                .orElse(UnicodeScript.COMMON);
        if (kana && (most == UnicodeScript.HAN || most == UnicodeScript.HIRAGANA || most == UnicodeScript.KATAKANA)) {
            return Optional.of(JAPANESE);
        }
        return switch (most) {
            case HAN -> Optional.of(CHINESE);
            case ARABIC -> arabicScript(question);
            default -> Optional.ofNullable(ONE_LANGUAGE.get(most));
        };
    }

    /** Persian or Arabic by their letters; a letter of neither (Urdu ٹ, Pashto ښ, Kurdish ۆ, ...) names nothing. */
    private static Optional<String> arabicScript(String question) {
        boolean persian = false;
        for (int i = 0; i < question.length(); i++) {
            char c = question.charAt(i);
            if (UnicodeScript.of(c) != UnicodeScript.ARABIC || !Character.isLetter(c)) {
                continue;
            }
            if (PERSIAN_LETTERS.indexOf(c) >= 0) {
                persian = true;
            } else if (c < ARABIC_FIRST || c > ARABIC_LAST) {
                return Optional.empty();
            }
        }
        return Optional.of(persian ? PERSIAN : ARABIC);
    }
}
