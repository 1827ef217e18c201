package io.multimodalrag.clip;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.IntFunction;

/**
 * A text tower in one ONNX Runtime session, with the tokenizer that goes with it: CLIP's own (its BPE vocabulary), or
 * a multilingual tower distilled onto the same image space with its {@code tokenizer.json} (M-CLIP as Immich exports
 * it). Input names ({@code input_ids}, optional {@code attention_mask}) and their integer type, a batch size the graph
 * may fix, the context length and the embedding size come from the session's metadata. {@link TextEncoder} is its
 * caller.
 */
public final class TextTower implements AutoCloseable {

    private final OrtEnvironment environment;
    private final OrtSession session;
    private final TextTokenizer tokenizer;
    private final String idsInput;
    private final Optional<String> maskInput;
    private final boolean int32;
    /** The batch size the graph fixes (Immich's export: 1), or 0 when any goes. */
    private final int fixedBatch;
    private final String output;
    private final int contextLength;
    private final int dimensions;
    private final String name;
    private final boolean multilingual;

    /**
     * @param tokenizerForContext the tokenizer, given the context length the graph takes
     * @param name         the id clients name the tower by (GET /v1/models)
     * @param multilingual whether the tower reads many languages; CLIP's own reads English only
     */
    TextTower(OrtEnvironment environment, OrtSession session, IntFunction<TextTokenizer> tokenizerForContext,
            String name, boolean multilingual) throws OrtException {
        this.name = name;
        this.multilingual = multilingual;
        this.environment = environment;
        this.session = session;
        Map<String, NodeInfo> inputs = session.getInputInfo();
        this.idsInput = inputs.containsKey("input_ids") ? "input_ids" : inputs.keySet().iterator().next();
        this.maskInput = inputs.containsKey("attention_mask") ? Optional.of("attention_mask") : Optional.empty();
        TensorInfo ids = OrtSessions.tensorInfo(inputs.get(idsInput));
        this.int32 = ids.type == OnnxJavaType.INT32;
        long[] idsShape = ids.getShape(); // [N, 77]
        this.fixedBatch = idsShape.length == 2 && idsShape[0] > 0 ? (int) idsShape[0] : 0;
        this.contextLength = idsShape.length == 2 && idsShape[1] > 0 ? (int) idsShape[1] : 77;
        Map<String, NodeInfo> outputs = session.getOutputInfo();
        this.output = OrtSessions.name(outputs, "text_embeds", 2,
                "text embedding output: expected 'text_embeds' or exactly one [N, D] float output");
        this.dimensions = (int) OrtSessions.tensorInfo(outputs.get(output)).getShape()[1];
        this.tokenizer = tokenizerForContext.apply(contextLength);
    }

    /**
     * Embeds a batch of tokenized texts, in one run where the graph allows it, else in runs of its fixed size.
     *
     * @param texts each {@link #contextLength()} ids long, from {@link #tokenizer()}
     * @return one L2-normalised embedding per text
     */
    public float[][] embed(List<TokenizedText> texts) {
        if (fixedBatch == 0 || texts.size() == fixedBatch) {
            return run(texts);
        }
        float[][] embeddings = new float[texts.size()][];
        for (int from = 0; from < texts.size(); from += fixedBatch) {
            List<TokenizedText> chunk = new ArrayList<>(texts.subList(from, Math.min(texts.size(), from + fixedBatch)));
            int real = chunk.size();
            while (chunk.size() < fixedBatch) {
                chunk.add(chunk.get(real - 1)); // a graph of fixed batch size runs full; the copies' outputs are dropped
            }
            float[][] rows = run(chunk);
            System.arraycopy(rows, 0, embeddings, from, real);
        }
        return embeddings;
    }

    private float[][] run(List<TokenizedText> texts) {
        int batch = texts.size();
        long[] ids = new long[batch * contextLength];
        long[] mask = new long[batch * contextLength];
        for (int t = 0; t < batch; t++) {
            TokenizedText text = texts.get(t);
            if (text.ids().length != contextLength) {
                throw new IllegalArgumentException("expected " + contextLength + " token ids, got " + text.ids().length);
            }
            System.arraycopy(text.ids(), 0, ids, t * contextLength, contextLength);
            // From the token count, not from the ids: token 0 ('!') is also CLIP's padding value,
            // and Hugging Face exports pad with the end token.
            Arrays.fill(mask, t * contextLength, t * contextLength + text.length(), 1);
        }
        long[] shape = {batch, contextLength};
        try (OnnxTensor idsTensor = tensor(ids, shape); OnnxTensor maskTensor = tensor(mask, shape)) {
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

    /** The values as the graph takes them: int64, or int32 (Immich's exports). */
    private OnnxTensor tensor(long[] values, long[] shape) throws OrtException {
        if (!int32) {
            return OnnxTensor.createTensor(environment, LongBuffer.wrap(values), shape);
        }
        int[] narrow = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            narrow[i] = Math.toIntExact(values[i]);
        }
        return OnnxTensor.createTensor(environment, IntBuffer.wrap(narrow), shape);
    }

    /** The tokenizer that goes with the tower: the export's own vocabulary files or tokenizer.json, or CLIP's. */
    public TextTokenizer tokenizer() {
        return tokenizer;
    }

    /** The tower's name: the model id clients name it by (GET /v1/models). */
    public String name() {
        return name;
    }

    /** Whether the tower reads many languages; CLIP's own text tower reads English only. */
    public boolean multilingual() {
        return multilingual;
    }

    /**
     * Why this tower's results for {@code text} say little, when they do: an English-only tower given a text whose
     * letters are mostly of another script than Latin. Empty for a multilingual tower, and for Latin-script text.
     */
    public Optional<String> hintFor(String text) {
        if (multilingual) {
            return Optional.empty();
        }
        Map<Character.UnicodeScript, Integer> letters = new EnumMap<>(Character.UnicodeScript.class);
        int total = 0;
        for (int i = 0; i < text.length(); ) {
            int c = text.codePointAt(i);
            i += Character.charCount(c);
            if (Character.isLetter(c)) {
                letters.merge(Character.UnicodeScript.of(c), 1, Integer::sum);
                total++;
            }
        }
        int latin = letters.getOrDefault(Character.UnicodeScript.LATIN, 0);
        if (total == 0 || latin * 2 >= total) {
            return Optional.empty();
        }
        Character.UnicodeScript most = letters.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
        String script = most.name().charAt(0) + most.name().substring(1).toLowerCase(Locale.ROOT).replace('_', ' ');
        return Optional.of("the text tower " + name + " reads English only, and this text is mostly in " + script
                + " script, so its results say little; write it in English, or run the service with a multilingual"
                + " text tower (rag.model.text-tower=multilingual, see the README)");
    }

    /** Token positions the tower expects (77 for CLIP and for Immich's M-CLIP export). */
    public int contextLength() {
        return contextLength;
    }

    public int dimensions() {
        return dimensions;
    }

    @Override
    public void close() {
        OrtSessions.closeQuietly(session);
        if (tokenizer instanceof AutoCloseable closeable) {
            try {
                closeable.close();
            } catch (Exception ignored) {
                // a native handle freed at exit anyway
            }
        }
    }
}
