package io.multimodalrag.clip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.multimodalrag.files.ContentHash;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ONNX Runtime reproduces the reference (PyTorch) outputs recorded by tools/make_clip_model.py. */
class ClipModelTest {

    private static final Path TINY = Path.of("src/test/resources/clip-tiny");
    private static final Path PLAIN = Path.of("src/test/resources/clip-tiny-plain");

    @Test
    void huggingFaceNamesAndShapesComeFromTheMetadata() {
        try (ClipModel model = open(TINY)) {
            assertEquals(224, model.imageSize());
            assertEquals(32, model.dimensions());
            assertTrue(model.hasTextTower());
            assertEquals(77, model.text().contextLength());
            assertEquals(32, model.text().dimensions());
            assertEquals(224, model.vision().imageSize());
            assertEquals("clip-tiny", model.name());
            assertEquals(ClipModel.Device.CPU, model.device());
        }
    }

    @Test
    void theVisionTowersWeightsAreIdentifiedByTheFilesContentHash() throws IOException {
        try (ClipModel model = open(TINY)) {
            assertEquals(ContentHash.contentHash(TINY.resolve("vision_model.onnx")), model.visionWeights());
        }
    }

    @Test
    void imageEmbeddingsMatchTheReferenceAndAreUnitLength() throws IOException {
        checkImageEmbeddings(TINY);
    }

    @Test
    void aModelWithOtherNamesAndAnotherImageSizeWorksWithoutATextTower() throws IOException {
        try (ClipModel model = open(PLAIN)) {
            assertEquals(160, model.imageSize());
            assertFalse(model.hasTextTower());
            ModelUnavailableException noTextTower = assertThrows(ModelUnavailableException.class, model::text);
            assertTrue(noTextTower.getMessage().contains("no text tower (text_model.onnx)"), noTextTower.getMessage());
        }
        checkImageEmbeddings(PLAIN);
    }

    @Test
    void textEmbeddingsMatchTheReference() throws IOException {
        JsonNode expected = expected(TINY).get("text");
        JsonNode ids = expected.get("input_ids");
        List<TokenizedText> tokens = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            long[] row = new long[ids.get(i).size()];
            int length = 0;
            for (int j = 0; j < row.length; j++) {
                row[j] = ids.get(i).get(j).asLong();
                length += expected.get("attention_mask").get(i).get(j).asInt();
            }
            tokens.add(new TokenizedText(row, length));
        }
        try (ClipModel model = open(TINY)) {
            float[][] embeddings = model.text().embed(tokens);
            for (int i = 0; i < tokens.size(); i++) {
                assertArrayEquals(floats(expected.get("text_embeds_normalized").get(i)), embeddings[i], 1e-4f);
            }
        }
    }

    @Test
    void theTokenizerOfAFolderWithoutVocabularyFilesIsClipsOwn() {
        try (ClipModel model = open(TINY)) {
            assertSame(ClipTokenizer.bundled(), model.text().tokenizer());
        }
    }

    @Test
    void aFolderWithoutAModelIsNotFound(@TempDir Path empty) {
        assertTrue(ClipModel.ModelFiles.find(empty, "fp32").isEmpty());
        assertTrue(ClipModel.ModelFiles.find(TINY, "int8").isEmpty(), "no quantised tower in the fixture");
    }

    @Test
    void normaliseMakesUnitVectorsAndLeavesZeroAlone() {
        float[] v = {3, 4};
        OrtSessions.normalise(v);
        assertArrayEquals(new float[] {0.6f, 0.8f}, v, 1e-7f);
        float[] zero = {0, 0};
        OrtSessions.normalise(zero);
        assertArrayEquals(new float[] {0, 0}, zero);
    }

    private static void checkImageEmbeddings(Path dir) throws IOException {
        JsonNode expected = expected(dir).get("image");
        try (ClipModel model = open(dir)) {
            int size = model.imageSize();
            FloatBuffer pixels = ByteBuffer.allocateDirect(2 * 3 * size * size * Float.BYTES)
                    .order(ByteOrder.nativeOrder()).asFloatBuffer();
            // value[n][c][y][x] = sin(0.01 * (x + 3y) + c + n) * 1.5, as the generator defines it
            for (int n = 0; n < 2; n++) {
                for (int c = 0; c < 3; c++) {
                    for (int y = 0; y < size; y++) {
                        for (int x = 0; x < size; x++) {
                            pixels.put((float) (Math.sin(0.01 * (x + 3 * y) + c + n) * 1.5));
                        }
                    }
                }
            }
            pixels.flip();
            float[][] embeddings = model.vision().embed(pixels, 2);
            for (int n = 0; n < 2; n++) {
                assertArrayEquals(floats(expected.get("image_embeds_normalized").get(n)), embeddings[n], 1e-4f);
                double norm = 0;
                for (float v : embeddings[n]) {
                    norm += v * v;
                }
                assertEquals(1.0, Math.sqrt(norm), 1e-5);
            }
        }
    }

    private static ClipModel open(Path dir) {
        return ClipModel.open(ClipModel.ModelFiles.find(dir, "fp32").orElseThrow(), ClipModel.Device.CPU, 1);
    }

    private static JsonNode expected(Path dir) throws IOException {
        return new ObjectMapper().readTree(Files.readString(dir.resolve("expected.json")));
    }

    private static float[] floats(JsonNode array) {
        float[] values = new float[array.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) array.get(i).asDouble();
        }
        return values;
    }
}
