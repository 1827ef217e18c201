package io.multimodalrag.answer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AnswerLanguageTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            ظرفیت این دستگاه چقدر است؟                 | Persian (فارسی)
            این گربه چه نژادی دارد؟ Is it a Persian cat? | Persian (فارسی)
            ما هي سعة هذا الجهاز؟                        | Arabic (العربية)
            یہ مشین کتنی طاقت رکھتی ہے؟                   |
            این دستگاه در ۲۰۲۳ ساخته شد، مگه نه؟          | Persian (فارسی)
            这个设备的容量是多少？                          | Chinese (中文)
            この機械の容量はどれくらいですか？               | Japanese (日本語)
            이 장치의 용량은 얼마입니까?                    | Korean (한국어)
            Ποια είναι η χωρητικότητα;                    | Greek (Ελληνικά)
            מה הקיבולת של המכשיר?                         | Hebrew (עברית)
            What is the capacity of this item?            |
            Какова вместимость этого устройства?          |
            🐱🐱🐱 ???                                     |
            """)
    void namesTheLanguageOnlyWhereTheLettersSayIt(String question, String language) {
        assertEquals(Optional.ofNullable(language), AnswerLanguage.named(question), question);
    }
}
