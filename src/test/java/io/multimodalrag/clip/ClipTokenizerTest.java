package io.multimodalrag.clip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.multimodalrag.testing.TestResources;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Token for token against CLIP's reference tokenizer: the golden ids of
 * {@code golden/tokenizer-golden.jsonl} (see its README) and cases computed with the reference.
 */
class ClipTokenizerTest {

    private static final int CONTEXT = 77;
    private static final long START = 49406;
    private static final long END = 49407;

    @TempDir
    static Path huggingFaceFolder;
    /** The same vocabulary as a Hugging Face export lays it out: vocab.json + merges.txt. */
    private static ClipTokenizer huggingFace;

    @BeforeAll
    static void writeHuggingFaceFiles() throws IOException {
        writeHuggingFaceExport(huggingFaceFolder);
        huggingFace = ClipTokenizer.forModelFolder(huggingFaceFolder);
    }

    /** One line of the golden file. */
    record Golden(String text, long[] ids) {
        @Override
        public String toString() {
            return text.length() > 60 ? text.substring(0, 60) + "…" : text;
        }
    }

    static Stream<Golden> goldens() {
        ObjectMapper json = new ObjectMapper();
        String lines = new String(TestResources.bytes("golden/tokenizer-golden.jsonl"), StandardCharsets.UTF_8);
        List<Golden> goldens = new ArrayList<>();
        for (String line : lines.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            try {
                JsonNode node = json.readTree(line);
                long[] ids = new long[node.get("ids").size()];
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = node.get("ids").get(i).asLong();
                }
                goldens.add(new Golden(node.get("text").asText(), ids));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return goldens.stream();
    }

    @ParameterizedTest
    @MethodSource("goldens")
    void bundledVocabularyReproducesTheGoldenIds(Golden golden) {
        TokenizedText tokens = ClipTokenizer.bundled().tokenize(golden.text(), CONTEXT);
        assertArrayEquals(golden.ids(), tokens.ids());
        assertEquals(endTokenPosition(golden.ids()) + 1, tokens.length());
    }

    @ParameterizedTest
    @MethodSource("goldens")
    void huggingFaceVocabularyReproducesTheGoldenIdsAndPadsWithTheEndToken(Golden golden) {
        TokenizedText tokens = huggingFace.tokenize(golden.text(), CONTEXT);
        int end = endTokenPosition(golden.ids());
        long[] expected = golden.ids().clone();
        Arrays.fill(expected, end + 1, CONTEXT, END);
        assertArrayEquals(expected, tokens.ids());
        assertEquals(end + 1, tokens.length());
    }

    /**
     * The ids between the start token and the closing end token, from the reference
     * ({@code simple_tokenizer.py} with NFC for {@code ftfy.fix_text}, as the goldens were made).
     */
    static Stream<Arguments> referenceCases() {
        return Stream.of(
                // U+001C..U+001F: stripped at the ends (str.strip), a token inside (not regex \s)
                Arguments.of("a\u001cb", new long[] {320, 472, 321}),
                Arguments.of("\u001c a \u001f", new long[] {320}),
                // Unicode whitespace runs become one space
                Arguments.of("a\u00a0\u2003\u3000b", new long[] {320, 321}),
                // contractions
                Arguments.of("it's", new long[] {585, 568}),
                // typed special tokens are special tokens, as in the reference
                Arguments.of("<|startoftext|>", new long[] {START}),
                Arguments.of("<|ENDOFTEXT|>", new long[] {END}),
                // a final capital sigma, where Java's rule and Python's agree
                Arguments.of("\u039f\u0394\u039f\u03a3", new long[] {138, 123, 138, 112, 138, 123, 139, 480}),
                Arguments.of("\u0130stanbul", new long[] {328, 16384, 11231}),
                // HTML, unescaped twice
                Arguments.of("&amp;lt;b&amp;gt; &ampx &notit; &#128;&#x80; &#1114112; &#65",
                        new long[] {283, 321, 285, 261, 343, 126, 361, 585, 282, 34919, 6309, 39802, 320}),
                Arguments.of("&nbsp;photo&nbsp;&nbsp;of a&#x20;cat&#9;", new long[] {1125, 539, 320, 2368}),
                // NFC composes e + combining acute
                Arguments.of("cafe\u0301", new long[] {15304}),
                // no ftfy: a curly apostrophe, a ligature and full-width letters stay as they are
                Arguments.of("don\u2019t", new long[] {847, 728, 503, 339}),
                Arguments.of("\ufb01sh", new long[] {171, 105, 223, 849}),
                Arguments.of("\uff21\uff22", new long[] {171, 121, 223, 171, 121, 480}),
                // '!' inside a word is token 0, the padding value: the mask must not be "id != 0"
                Arguments.of("!(", new long[] {0, 263}));
    }

    @ParameterizedTest
    @MethodSource("referenceCases")
    void edgeCasesMatchTheReference(String text, long[] tokens) {
        assertTokens(text, tokens);
    }

    /**
     * Where this tokenizer deliberately differs from the reference (see ClipTokenizer's Javadoc):
     * no golden text needs the emulation it would take. Each comment gives the reference's ids.
     */
    static Stream<Arguments> deliberateDeviations() {
        return Stream.of(
                // long s is a letter only; the reference's case-insensitive pattern reads it as the s of
                // 's ({585, 6, 129, 379}) and of <|startoftext|> ({27, 91, 129, 123, 2002, 6659, 18169, 91, 285})
                Arguments.of("it'\u017f", new long[] {585, 262, 129, 379}),
                Arguments.of("<|\u017ftartoftext|>", new long[] {27, 347, 129, 123, 2002, 6659, 4160, 91, 285}),
                // U+0345 is a symbol here; the reference's regex module drops it ({320, 321})
                Arguments.of("a\u0345b", new long[] {320, 137, 483, 321}),
                // Java's final-sigma rule; Python gives {139, 225, 139, 480, 331, 276, 139, 481, 139, 481, 269}
                Arguments.of("\u03c3\u03a3 l5\u03a3 \u03a3.", new long[] {139, 225, 139, 480, 331, 276, 139, 480, 139, 481, 269}),
                // numeric references HTML5 calls errors are kept as jsoup decodes them; Python gives
                // U+FFFD for &#0; and &#xD800; and drops &#1; ({39802, 39802})
                Arguments.of("&#0;&#1; &#xD800;", new long[] {188, 445, 286}),
                // lone surrogates, on which the reference fails, are encoded as '?'
                Arguments.of("a\ud800b \udc00", new long[] {320, 286, 321, 286}));
    }

    @ParameterizedTest
    @MethodSource("deliberateDeviations")
    void deliberateDeviationsFromTheReferenceStayAsDocumented(String text, long[] tokens) {
        assertTokens(text, tokens);
    }

    /**
     * Python's {@code html.unescape} applied twice, as the reference cleans a text, for the character
     * references where jsoup's HTML5 decoding gives the same; compared after the rest of the cleanup.
     */
    static Stream<Arguments> pythonHtmlUnescape() {
        return Stream.of(
                // named references, with and without the semicolon where HTML5 allows it
                Arguments.of("x&lt;&gt;&amp;&quot;&apos;&AElig;&aelig", "x<>&\"'\u00c6\u00e6"),
                Arguments.of("&amp", "&"),
                Arguments.of("&AMP;", "&"),
                Arguments.of("&ampx", "&x"),
                Arguments.of("&amp;x", "&x"),
                Arguments.of("&nbsp;a", "\u00a0a"),
                Arguments.of("&notin;", "\u2209"),
                Arguments.of("&notit;", "\u00acit;"),
                Arguments.of("&NotDoubleVerticalBar;", "\u2226"),
                Arguments.of("&NotEqualTilde;", "\u2242\u0338"),
                Arguments.of("&nvlt;", "<\u20d2"),
                Arguments.of("&bogus;", "&bogus;"),
                Arguments.of("&" + "a".repeat(40) + ";", "&" + "a".repeat(40) + ";"),
                Arguments.of("&amp;lt;", "<"),
                Arguments.of("&ltx", "<x"),
                // numeric references, and HTML5's rules for the invalid ones where jsoup follows them
                Arguments.of("&#65", "A"),
                Arguments.of("&#x41;", "A"),
                Arguments.of("&#128;", "\u20ac"),
                Arguments.of("&#x80;", "\u20ac"),
                Arguments.of("&#X9f", "\u0178"),
                Arguments.of("a&#13;b", "a\rb"),
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
    @MethodSource("pythonHtmlUnescape")
    void characterReferencesDecodeAsPythonDoes(String input, String unescaped) {
        assertEquals(unescaped.strip().toLowerCase(java.util.Locale.ROOT), ClipTokenizer.clean(input));
    }

    @Test
    void aPlainLowerCaseTextIsCleanedWithoutACopy() {
        String text = "a photo of a cat";
        assertSame(text, ClipTokenizer.clean(text));
    }

    private static void assertTokens(String text, long[] tokens) {
        TokenizedText actual = ClipTokenizer.bundled().tokenize(text, CONTEXT);
        long[] expected = new long[CONTEXT];
        expected[0] = START;
        System.arraycopy(tokens, 0, expected, 1, tokens.length);
        expected[tokens.length + 1] = END;
        assertArrayEquals(expected, actual.ids());
        assertEquals(tokens.length + 2, actual.length());
    }

    @Test
    void aTypedEndTokenEndsTheTextForThePoolingButTheMaskCoversAllTokens() {
        TokenizedText tokens = ClipTokenizer.bundled().tokenize("a <|endoftext|> b", CONTEXT);
        assertArrayEquals(new long[] {START, 320, END, 321, END, 0}, Arrays.copyOf(tokens.ids(), 6));
        assertEquals(5, tokens.length());
    }

    @Test
    void truncationKeepsTheEndTokenLast() {
        TokenizedText cut = ClipTokenizer.bundled().tokenize("a ".repeat(74) + "supercalifragilisticexpialidocious", CONTEXT);
        long[] expected = new long[CONTEXT];
        Arrays.fill(expected, 320);
        expected[0] = START;
        expected[75] = 1642; // the word's first token is all that fits
        expected[76] = END;
        assertArrayEquals(expected, cut.ids());
        assertEquals(CONTEXT, cut.length());

        TokenizedText longWord = huggingFace.tokenize("x".repeat(1000), CONTEXT);
        assertEquals(END, longWord.ids()[CONTEXT - 1]);
        assertEquals(CONTEXT, longWord.length());
    }

    @Test
    void otherContextLengthsTruncateAndPadTheSameWay() {
        ClipTokenizer tokenizer = ClipTokenizer.bundled();
        assertArrayEquals(new long[] {START, 320, 1125, 539, 320, 2368, END, 0},
                tokenizer.tokenize("a photo of a cat", 8).ids());
        assertArrayEquals(new long[] {START, 320, 1125, 539, END}, tokenizer.tokenize("a photo of a cat", 5).ids());
        assertArrayEquals(new long[] {START, END}, tokenizer.tokenize("a photo of a cat", 2).ids());
        assertThrows(IllegalArgumentException.class, () -> tokenizer.tokenize("a", 1));
    }

    @Test
    void paddingFollowsTheVocabularySource() {
        assertEquals(0, ClipTokenizer.bundled().padId());
        assertEquals(END, huggingFace.padId());
        assertEquals(0, ClipTokenizer.bundled().tokenize("a photo of a cat", CONTEXT).ids()[CONTEXT - 1]);
        assertEquals(END, huggingFace.tokenize("a photo of a cat", CONTEXT).ids()[CONTEXT - 1]);
    }

    @Test
    void loneSurrogatesAreReadAsQuestionMarks() {
        ClipTokenizer tokenizer = ClipTokenizer.bundled();
        long[] replaced = tokenizer.tokenize("a?b ?", CONTEXT).ids();
        assertArrayEquals(replaced, tokenizer.tokenize("a\ud800b \udc00", CONTEXT).ids());
        assertArrayEquals(new long[] {START, 320, 286, 321, 286, END}, Arrays.copyOf(replaced, 6));
    }

    @Test
    void theCacheStaysBoundedAndNeverChangesTheIds() {
        ClipTokenizer small = ClipTokenizer.bundled().withCacheCapacity(8);
        ClipTokenizer none = ClipTokenizer.bundled().withCacheCapacity(0);
        for (int i = 0; i < 200; i++) {
            String text = "photo" + Integer.toString(i, 26).replace('0', 'z') + " of item" + (char) ('a' + i % 26);
            long[] expected = ClipTokenizer.bundled().tokenize(text, CONTEXT).ids();
            assertArrayEquals(expected, small.tokenize(text, CONTEXT).ids(), text);
            assertArrayEquals(expected, none.tokenize(text, CONTEXT).ids(), text);
            assertTrue(small.cachedWords() <= 8, "cache holds " + small.cachedWords() + " words");
        }
        assertEquals(0, none.cachedWords());
    }

    @Test
    void concurrentCallersGetTheGoldenIds() throws Exception {
        ClipTokenizer shared = ClipTokenizer.bundled().withCacheCapacity(4); // cleared again and again
        List<Golden> goldens = goldens().toList();
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try {
            List<Future<Boolean>> results = IntStream.range(0, 4).mapToObj(t -> threads.submit(() -> {
                for (int round = 0; round < 50; round++) {
                    for (Golden golden : goldens) {
                        if (!Arrays.equals(golden.ids(), shared.tokenize(golden.text(), CONTEXT).ids())) {
                            return false;
                        }
                    }
                }
                return true;
            })).toList();
            for (Future<Boolean> result : results) {
                assertTrue(result.get());
            }
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void theModelFolderDecidesTheVocabulary(@TempDir Path empty, @TempDir Path withBpeFile) throws IOException {
        assertSame(ClipTokenizer.bundled(), ClipTokenizer.forModelFolder(empty));
        assertTrue(huggingFace.source().startsWith("vocab.json + merges.txt"), huggingFace.source());

        Files.write(withBpeFile.resolve(ClipTokenizer.BPE_FILE), TestResources.bytes("clip/" + ClipTokenizer.BPE_FILE));
        ClipTokenizer fromFile = ClipTokenizer.forModelFolder(withBpeFile);
        assertTrue(fromFile.source().contains(withBpeFile.toString()), fromFile.source());
        assertEquals(0, fromFile.padId());
        assertArrayEquals(ClipTokenizer.bundled().tokenize("a photo of a cat", CONTEXT).ids(),
                fromFile.tokenize("a photo of a cat", CONTEXT).ids());
    }

    @Test
    void malformedVocabularyFilesAreRefused(@TempDir Path folder) throws IOException {
        Files.writeString(folder.resolve("vocab.json"), "{\"a\": 0}");
        Files.writeString(folder.resolve("merges.txt"), "#version: 0.2\na b\n");
        IllegalArgumentException noSymbol = assertThrows(IllegalArgumentException.class,
                () -> ClipTokenizer.forModelFolder(folder));
        assertTrue(noSymbol.getMessage().contains("has no symbol"), noSymbol.getMessage());

        writeHuggingFaceExport(folder);
        Files.writeString(folder.resolve("merges.txt"), "#version: 0.2\na b c\n");
        IllegalArgumentException badMerge = assertThrows(IllegalArgumentException.class,
                () -> ClipTokenizer.forModelFolder(folder));
        assertTrue(badMerge.getMessage().contains("two symbols"), badMerge.getMessage());
    }

    /**
     * Writes vocab.json and merges.txt as Hugging Face's CLIP exports hold them, derived from CLIP's
     * BPE file the way {@code simple_tokenizer.py} builds its vocabulary.
     */
    private static void writeHuggingFaceExport(Path folder) throws IOException {
        List<String> merges = new ArrayList<>();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(new GZIPInputStream(
                new ByteArrayInputStream(TestResources.bytes("clip/" + ClipTokenizer.BPE_FILE))), StandardCharsets.UTF_8))) {
            lines.readLine();
            for (String line = lines.readLine(); line != null && merges.size() < 48894; line = lines.readLine()) {
                merges.add(line);
            }
        }
        // bytes_to_unicode: printable Latin-1 bytes first, then the others mapped from U+0100 on
        List<Integer> bytes = new ArrayList<>();
        List<Character> characters = new ArrayList<>();
        IntStream.rangeClosed('!', '~').forEach(bytes::add);
        IntStream.rangeClosed(0xA1, 0xAC).forEach(bytes::add);
        IntStream.rangeClosed(0xAE, 0xFF).forEach(bytes::add);
        bytes.forEach(b -> characters.add((char) (int) b));
        int next = 256;
        for (int b = 0; b < 256; b++) {
            if (!bytes.contains(b)) {
                characters.add((char) next++);
            }
        }
        Map<String, Integer> vocab = new LinkedHashMap<>();
        characters.forEach(c -> vocab.put(String.valueOf(c), vocab.size()));
        characters.forEach(c -> vocab.put(c + "</w>", vocab.size()));
        merges.forEach(merge -> vocab.put(merge.replace(" ", ""), vocab.size()));
        vocab.put("<|startoftext|>", vocab.size());
        vocab.put("<|endoftext|>", vocab.size());
        new ObjectMapper().writeValue(folder.resolve("vocab.json").toFile(), vocab);
        Files.writeString(folder.resolve("merges.txt"), "#version: 0.2\n" + String.join("\n", merges) + "\n");
    }

    private static int endTokenPosition(long[] ids) {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == 49407) {
                return i;
            }
        }
        throw new AssertionError("no end token");
    }
}
