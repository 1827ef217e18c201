package io.multimodalrag.clip;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.LongBuffer;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * CLIP's text tower in one ONNX Runtime session, with the tokenizer that goes with it. Input names
 * ({@code input_ids}, optional {@code attention_mask}), the context length and the embedding size
 * come from the session's metadata. {@link TextEncoder} is its caller.
 */
public final class TextTower implements AutoCloseable {

    private final OrtEnvironment environment;
    private final OrtSession session;
    private final ClipTokenizer tokenizer;
    private final String idsInput;
    private final Optional<String> maskInput;
    private final String output;
    private final int contextLength;
    private final int dimensions;

    TextTower(OrtEnvironment environment, OrtSession session, ClipTokenizer tokenizer) throws OrtException {
        this.environment = environment;
        this.session = session;
        this.tokenizer = tokenizer;
        Map<String, NodeInfo> inputs = session.getInputInfo();
        this.idsInput = inputs.containsKey("input_ids") ? "input_ids" : inputs.keySet().iterator().next();
        this.maskInput = inputs.containsKey("attention_mask") ? Optional.of("attention_mask") : Optional.empty();
        long[] idsShape = OrtSessions.tensorInfo(inputs.get(idsInput)).getShape(); // [N, 77]
        this.contextLength = idsShape.length == 2 && idsShape[1] > 0 ? (int) idsShape[1] : 77;
        Map<String, NodeInfo> outputs = session.getOutputInfo();
        this.output = OrtSessions.name(outputs, "text_embeds", 2,
                "text embedding output: expected 'text_embeds' or exactly one [N, D] float output");
        this.dimensions = (int) OrtSessions.tensorInfo(outputs.get(output)).getShape()[1];
    }

    /**
     * Embeds a batch of tokenized texts in one run.
     *
     * @param texts each {@link #contextLength()} ids long, from {@link #tokenizer()}
     * @return one L2-normalised embedding per text
     */
    public float[][] embed(List<TokenizedText> texts) {
        int batch = texts.size();
        LongBuffer ids = LongBuffer.allocate(batch * contextLength);
        LongBuffer mask = LongBuffer.allocate(batch * contextLength);
        for (TokenizedText text : texts) {
            if (text.ids().length != contextLength) {
                throw new IllegalArgumentException("expected " + contextLength + " token ids, got " + text.ids().length);
            }
            ids.put(text.ids());
            // From the token count, not from the ids: token 0 ('!') is also the padding value,
            // and Hugging Face exports pad with the end token.
            for (int position = 0; position < contextLength; position++) {
                mask.put(position < text.length() ? 1 : 0);
            }
        }
        ids.flip();
        mask.flip();
        long[] shape = {batch, contextLength};
        try (OnnxTensor idsTensor = OnnxTensor.createTensor(environment, ids, shape);
                OnnxTensor maskTensor = OnnxTensor.createTensor(environment, mask, shape)) {
            Map<String, OnnxTensor> feed = maskInput.isPresent()
                    ? Map.of(idsInput, idsTensor, maskInput.get(), maskTensor)
                    : Map.of(idsInput, idsTensor);
            try (OrtSession.Result result = session.run(feed, Set.of(output))) {
                return OrtSessions.embeddings(result, output, batch);
            }
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed to embed " + batch + " text(s): " + e.getMessage(), e);
        }
    }

    /** The tokenizer that goes with the tower: the export's own vocabulary files, or CLIP's. */
    public ClipTokenizer tokenizer() {
        return tokenizer;
    }

    /** Token positions the tower expects (77 for CLIP). */
    public int contextLength() {
        return contextLength;
    }

    public int dimensions() {
        return dimensions;
    }

    @Override
    public void close() {
        OrtSessions.closeQuietly(session);
    }
}
