package io.multimodalrag.clip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The text path end to end with the tiny model: our tokenizer's ids, the tower's outputs, batching. */
@QuarkusTest
class TextEncoderTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Inject
    TextEncoder texts;

    @Inject
    ImageEncoder images;

    @Inject
    ModelLoader models;

    private JsonNode expected;

    @BeforeEach
    void loadModelAndReference() throws IOException, InterruptedException {
        // The model loads in the background at start-up.
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (models.state().status() == LoadStatus.LOADING && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        expected = new ObjectMapper().readTree(Files.readString(Path.of("src/test/resources/clip-tiny/expected.json")))
                .get("text");
    }

    @Test
    void ourTokenizerGivesTheIdsTheReferenceEmbeddingsWereMadeFrom() {
        ClipModel model = models.require();
        for (int i = 0; i < expected.get("texts").size(); i++) {
            TokenizedText tokens = model.text().tokenizer().tokenize(expected.get("texts").get(i).asText(), model.text().contextLength());
            long[] ids = new long[expected.get("input_ids").get(i).size()];
            int maskedIn = 0;
            for (int j = 0; j < ids.length; j++) {
                ids[j] = expected.get("input_ids").get(i).get(j).asLong();
                maskedIn += expected.get("attention_mask").get(i).get(j).asInt();
            }
            assertArrayEquals(ids, tokens.ids());
            assertEquals(maskedIn, tokens.length());
        }
    }

    @Test
    void textsGetTheReferenceEmbeddingsInOrder() {
        List<String> input = new ArrayList<>();
        expected.get("texts").forEach(text -> input.add(text.asText()));
        List<float[]> embeddings = texts.encode(input).await().atMost(WAIT);
        assertEquals(input.size(), embeddings.size());
        for (int i = 0; i < input.size(); i++) {
            float[] reference = new float[expected.get("text_embeds_normalized").get(i).size()];
            for (int d = 0; d < reference.length; d++) {
                reference[d] = (float) expected.get("text_embeds_normalized").get(i).get(d).asDouble();
            }
            assertArrayEquals(reference, embeddings.get(i), 1e-4f);
            assertArrayEquals(embeddings.get(i), texts.encode(input.get(i)).await().atMost(WAIT), 1e-5f);
        }
    }

    @Test
    void moreTextsThanOneBatchComeBackInOrder() {
        List<String> input = new ArrayList<>();
        for (int i = 0; i < 40; i++) { // rag.encoder.max-batch is 16: three runs of the text tower
            input.add("photo number " + i);
        }
        List<float[]> batched = texts.encode(input).await().atMost(WAIT);
        assertEquals(40, batched.size());
        for (int i : new int[] {0, 15, 16, 31, 32, 39}) {
            assertArrayEquals(texts.encode(input.get(i)).await().atMost(WAIT), batched.get(i), 1e-5f, "text " + i);
        }
    }

    @Test
    void imageAndTextVectorsShareOneDimension() throws IOException {
        byte[] photo = Files.readAllBytes(Path.of("image_database/chelsea-cat.jpg"));
        float[] image = images.encode(photo).await().atMost(WAIT);
        float[] text = texts.encode("a photo of a cat").await().atMost(WAIT);
        assertEquals(models.require().dimensions(), image.length);
        assertEquals(image.length, text.length);
    }
}
