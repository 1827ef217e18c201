package io.multimodalrag.clip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.multimodalrag.testing.TestResources;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Token for token against CLIP's reference tokenizer: the golden ids of
 * {@code golden/tokenizer-golden.jsonl} (see its README) and cases computed with the reference.
 */
class ClipTokenizerTest {

    private static final int CONTEXT = 77;

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

    private static int endTokenPosition(long[] ids) {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == 49407) {
                return i;
            }
        }
        throw new AssertionError("no end token");
    }
}
