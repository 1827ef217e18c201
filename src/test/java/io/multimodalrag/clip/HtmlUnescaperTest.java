package io.multimodalrag.clip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Each expected string is what Python 3.11's {@code html.unescape} returns for the input. */
class HtmlUnescaperTest {

    private static final HtmlUnescaper HTML = HtmlUnescaper.instance();

    static Stream<Arguments> pythonResults() {
        return Stream.of(
                // named references, with and without the semicolon where HTML5 allows it
                Arguments.of("x&lt;&gt;&amp;&quot;&apos;&AElig;&aelig", "x<>&\"'\u00c6\u00e6"),
                Arguments.of("&amp", "&"),
                Arguments.of("&AMP;", "&"),
                Arguments.of("&ampx", "&x"),
                Arguments.of("&amp;x", "&x"),
                Arguments.of("&nbsp", "\u00a0"),
                Arguments.of("&notin;", "\u2209"),
                Arguments.of("&notit;", "\u00acit;"),
                Arguments.of("&NotDoubleVerticalBar;", "\u2226"),
                Arguments.of("&NotEqualTilde;", "\u2242\u0338"),
                Arguments.of("&nvlt;", "<\u20d2"),
                Arguments.of("&bogus;", "&bogus;"),
                Arguments.of("&" + "a".repeat(40) + ";", "&" + "a".repeat(40) + ";"),
                Arguments.of("&amp;lt;", "&lt;"),
                // numeric references and HTML5's rules for the invalid ones
                Arguments.of("&#65", "A"),
                Arguments.of("&#x41;", "A"),
                Arguments.of("&#128;", "\u20ac"),
                Arguments.of("&#x80;", "\u20ac"),
                Arguments.of("&#X9f", "\u0178"),
                Arguments.of("&#0;", "\ufffd"),
                Arguments.of("&#13;", "\r"),
                Arguments.of("&#1;", ""),
                Arguments.of("&#x7f;", ""),
                Arguments.of("&#xFDD0;", ""),
                Arguments.of("&#xFFFE;", ""),
                Arguments.of("&#1114111;", ""),
                Arguments.of("&#xD800;", "\ufffd"),
                Arguments.of("&#xdfff", "\ufffd"),
                Arguments.of("&#1114112;", "\ufffd"),
                Arguments.of("&#99999999999999999999;", "\ufffd"),
                Arguments.of("&#128512;", "\ud83d\ude00"),
                // no reference at all
                Arguments.of("&#", "&#"),
                Arguments.of("&#x;", "&#x;"),
                Arguments.of("&#xg", "&#xg"),
                Arguments.of("&", "&"),
                Arguments.of("&;", "&;"),
                Arguments.of("& amp;", "& amp;"),
                Arguments.of("&&amp;", "&&"));
    }

    @ParameterizedTest
    @MethodSource("pythonResults")
    void decodesAsPythonDoes(String input, String expected) {
        assertEquals(expected, HTML.unescape(input));
    }

    @Test
    void aTextWithoutAnAmpersandIsReturnedAsItIs() {
        String text = "a photo of a cat";
        assertSame(text, HTML.unescape(text));
    }
}
