package io.multimodalrag.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;

/** The multilingual text tower fixture of tools/make_multilingual_text_tower.py (src/test/resources/mclip-tiny). */
public final class MclipTiny {

    public static final Path DIR = Path.of("src/test/resources/mclip-tiny");

    private MclipTiny() {
    }

    /** PyTorch's embedding of one of the fixture's texts, as its generator wrote it, L2-normalised. */
    public static float[] unitEmbedding(String text) throws IOException {
        JsonNode expected = new ObjectMapper().readTree(DIR.resolve("expected.json").toFile());
        for (int i = 0; i < expected.path("texts").size(); i++) {
            if (expected.path("texts").get(i).asText().equals(text)) {
                JsonNode embedding = expected.path("embeddings").get(i);
                double norm = 0;
                for (JsonNode value : embedding) {
                    norm += value.asDouble() * value.asDouble();
                }
                float[] vector = new float[embedding.size()];
                for (int d = 0; d < vector.length; d++) {
                    vector[d] = (float) (embedding.get(d).asDouble() / Math.sqrt(norm));
                }
                return vector;
            }
        }
        throw new AssertionError(text + " is not among " + DIR + "'s texts");
    }
}
