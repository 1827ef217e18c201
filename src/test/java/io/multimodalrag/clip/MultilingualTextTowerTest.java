package io.multimodalrag.clip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The multilingual text tower with the interface of Immich's M-CLIP export (the fixture of
 * tools/make_multilingual_text_tower.py): its tokenizer.json read by DJL gives transformers.js's ids, and the ONNX
 * Runtime pipeline PyTorch's embeddings.
 */
class MultilingualTextTowerTest {

    private static final Path FIXTURE = Path.of("src/test/resources/mclip-tiny");
    private static ClipModel model;
    private static JsonNode expected;

    @BeforeAll
    static void open() throws IOException {
        ClipModel.ModelFiles vision = ClipModel.ModelFiles.find(Path.of("src/test/resources/clip-tiny"), "fp32").orElseThrow();
        model = ClipModel.open(vision, ClipModel.MultilingualFiles.find(FIXTURE), ClipModel.Device.CPU, 1, false);
        expected = new ObjectMapper().readTree(FIXTURE.resolve("expected.json").toFile());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void theTowerIsTheMultilingualOneWithTheGraphsContext() {
        TextTower tower = model.text();
        assertTrue(tower.multilingual());
        assertEquals("mclip-tiny", tower.name());
        assertEquals(77, tower.contextLength());
        assertEquals(model.dimensions(), tower.dimensions());
        assertTrue(tower.hintFor("موتورسیکلت قرمز").isEmpty(), "a multilingual tower gives no hint");
    }

    /** The emoji text: transformers.js 3.8.1 gives an <unk> for each of 👩 👩 👧 🇮🇷's parts, Hugging Face's library one per word. */
    private static final int ZWJ_EMOJI = 7;
    /** The over-long text, 30 times "گربه قرمز و سگ زرد". */
    private static final int OVER_LONG = 10;
    private static final long[] ZWJ_EMOJI_IDS = {0, 4, 176, 177, 178, 161, 4, 3, 4, 3, 2};

    private static long[] referenceIds(int i) {
        long[] reference = new long[expected.path("input_ids").get(i).size()];
        for (int j = 0; j < reference.length; j++) {
            reference[j] = expected.path("input_ids").get(i).get(j).asLong();
        }
        return reference;
    }

    @Test
    void idsAreThoseOfTransformersJsOnEveryScriptBarTwoDocumentedDifferences() {
        TextTower tower = model.text();
        JsonNode texts = expected.path("texts");
        assertEquals(11, texts.size());
        for (int i = 0; i < texts.size(); i++) {
            long[] reference = i == ZWJ_EMOJI ? ZWJ_EMOJI_IDS : referenceIds(i);
            if (i == OVER_LONG) {
                // transformers.js cuts after adding </s>, dropping it; Hugging Face's library keeps it, as CLIP does.
                assertEquals(77, reference.length);
                assertEquals(64, reference[76]);
                reference = Arrays.copyOf(reference, 77);
                reference[76] = 2;
            }
            TokenizedText tokens = tower.tokenizer().tokenize(texts.get(i).asText(), tower.contextLength());
            assertArrayEquals(reference, Arrays.copyOf(tokens.ids(), tokens.length()), texts.get(i).asText());
            for (int j = tokens.length(); j < tokens.ids().length; j++) {
                assertEquals(1, tokens.ids()[j], "padded with <pad>");
            }
        }
        // Where the two implementations part: runs of characters the vocabulary lacks.
        assertEquals(15, referenceIds(ZWJ_EMOJI).length);
        assertArrayEquals(Arrays.copyOf(ZWJ_EMOJI_IDS, 8), Arrays.copyOf(referenceIds(ZWJ_EMOJI), 8));
    }

    @Test
    void embeddingsAreThoseOfPyTorchOneByOneAndInABatch() {
        TextTower tower = model.text();
        List<TokenizedText> batch = new ArrayList<>();
        for (int i = 0; i < expected.path("texts").size(); i++) {
            long[] ids = Arrays.copyOf(referenceIds(i), tower.contextLength());
            Arrays.fill(ids, referenceIds(i).length, ids.length, 1);
            batch.add(new TokenizedText(ids, referenceIds(i).length));
        }
        float[][] embeddings = tower.embed(batch); // a graph of batch 1: run text by text
        for (int i = 0; i < batch.size(); i++) {
            float[] reference = new float[expected.path("embeddings").get(i).size()];
            for (int d = 0; d < reference.length; d++) {
                reference[d] = (float) expected.path("embeddings").get(i).get(d).asDouble();
            }
            assertArrayEquals(reference, embeddings[i], 1e-4f, expected.path("texts").get(i).asText());
            assertArrayEquals(embeddings[i], tower.embed(List.of(batch.get(i)))[0], 0f);
        }
    }

    @Test
    void aFolderWithoutTheTowerIsNotFound() {
        assertEquals(Optional.empty(), ClipModel.MultilingualFiles.find(Path.of("src/test/resources/clip-tiny")));
    }
}
