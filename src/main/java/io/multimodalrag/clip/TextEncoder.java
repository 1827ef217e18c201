package io.multimodalrag.clip;

import io.multimodalrag.config.RagConfig;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Turns texts into L2-normalised CLIP embeddings on the {@link EncoderWorkerPool}: tokenize with the
 * model's {@link ClipTokenizer}, run the text tower on up to {@code rag.encoder.max-batch} texts at
 * a time. The only caller of {@link TextTower#embed}. A model without a text tower fails with
 * a {@link ModelUnavailableException} that says how to get one; images are not affected.
 */
@ApplicationScoped
public class TextEncoder {

    private final ModelLoader models;
    private final EncoderWorkerPool workers;
    private final int maxBatch;

    public TextEncoder(ModelLoader models, EncoderWorkerPool workers, RagConfig config) {
        this.models = models;
        this.workers = workers;
        this.maxBatch = Math.max(1, config.encoder().maxBatch());
    }

    /** Embeds one text. */
    public Uni<float[]> encode(String text) {
        return encode(List.of(text)).map(embeddings -> embeddings.get(0));
    }

    /** Embeds several texts, in order, batched into as few text-tower runs as the batch size allows. */
    public Uni<List<float[]>> encode(List<String> texts) {
        List<String> copy = List.copyOf(texts);
        return Uni.createFrom().item(() -> encodeNow(copy)).runSubscriptionOn(workers.executor());
    }

    /** Texts embedded, in order, with the tokens the tower read (special tokens included, padding not). */
    public record Embedded(List<float[]> vectors, int tokens) {
    }

    /** As {@link #encode(List)}, counting the tokens read too (an OpenAI-compatible answer reports them). */
    public Uni<Embedded> embed(List<String> texts) {
        List<String> copy = List.copyOf(texts);
        return Uni.createFrom().item(() -> embedNow(copy)).runSubscriptionOn(workers.executor());
    }

    private List<float[]> encodeNow(List<String> texts) {
        return embedNow(texts).vectors();
    }

    private Embedded embedNow(List<String> texts) {
        TextTower tower = models.require().text();
        TextTokenizer tokenizer = tower.tokenizer();
        int contextLength = tower.contextLength();
        List<float[]> embeddings = new ArrayList<>(texts.size());
        int tokens = 0;
        for (int from = 0; from < texts.size(); from += maxBatch) {
            List<TokenizedText> batch = texts.subList(from, Math.min(texts.size(), from + maxBatch)).stream()
                    .map(text -> tokenizer.tokenize(text, contextLength))
                    .toList();
            tokens += batch.stream().mapToInt(TokenizedText::length).sum();
            embeddings.addAll(Arrays.asList(tower.embed(batch)));
        }
        return new Embedded(embeddings, tokens);
    }
}
