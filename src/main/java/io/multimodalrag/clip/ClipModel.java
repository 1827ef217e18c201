package io.multimodalrag.clip;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * The CLIP towers in ONNX Runtime: one session per tower, created once and shared by all threads
 * (an {@code OrtSession} may run concurrently). Input and output names, the image size and the
 * embedding size are read from the sessions' metadata, so Hugging Face exports
 * ({@code pixel_values → image_embeds}) and other exports (one 4-D float input, one [N, D] output)
 * both work.
 */
public final class ClipModel implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ClipModel.class);

    /** Where ONNX Runtime runs the model. */
    public enum Device {
        CPU, CUDA
    }

    private final OrtEnvironment environment;
    private final OrtSession visionSession;
    private final String pixelInput;
    private final String imageOutput;
    private final int imageSize;
    private final int dimensions;
    private final Optional<TextTower> textTower;
    private final Device device;
    private final String name;
    private final Path visionFile;

    private ClipModel(OrtEnvironment environment, OrtSession visionSession, Optional<TextTower> textTower,
            Device device, String name, Path visionFile) throws OrtException {
        this.environment = environment;
        this.visionSession = visionSession;
        this.textTower = textTower;
        this.device = device;
        this.name = name;
        this.visionFile = visionFile;

        Map<String, NodeInfo> inputs = visionSession.getInputInfo();
        this.pixelInput = inputs.containsKey("pixel_values") ? "pixel_values"
                : singleFloatTensor(inputs, 4, "image input: expected 'pixel_values' or exactly one 4-D float input");
        long[] pixelShape = tensorInfo(inputs.get(pixelInput)).getShape(); // [N, 3, S, S]
        if (pixelShape[1] != 3 || pixelShape[2] <= 0 || pixelShape[2] != pixelShape[3]) {
            throw new ModelUnavailableException("the vision model's input '" + pixelInput + "' has shape "
                    + shapeText(pixelShape) + "; expected [batch, 3, S, S] with a fixed square size S");
        }
        this.imageSize = (int) pixelShape[2];

        Map<String, NodeInfo> outputs = visionSession.getOutputInfo();
        this.imageOutput = outputs.containsKey("image_embeds") ? "image_embeds"
                : singleFloatTensor(outputs, 2, "image embedding output: expected 'image_embeds' or exactly one [N, D] float output");
        long[] embedShape = tensorInfo(outputs.get(imageOutput)).getShape(); // [N, D]
        this.dimensions = (int) embedShape[1];
        if (dimensions <= 0) {
            throw new ModelUnavailableException("the vision model's output '" + imageOutput
                    + "' has no fixed embedding size: " + shapeText(embedShape));
        }
        textTower.ifPresent(text -> {
            if (text.dimensions != dimensions) {
                throw new ModelUnavailableException("the text tower's embeddings have " + text.dimensions
                        + " dimensions but the vision tower's have " + dimensions + "; use the two towers of one export");
            }
        });
    }

    /** Opens the towers found in {@code modelFiles} on {@code device}, intra-op threads not spinning. */
    public static ClipModel open(ModelFiles modelFiles, Device device, int intraOpThreads) {
        return open(modelFiles, device, intraOpThreads, false);
    }

    /** Opens the towers found in {@code modelFiles} on {@code device}. */
    public static ClipModel open(ModelFiles modelFiles, Device device, int intraOpThreads, boolean allowSpinning) {
        OrtEnvironment environment = OrtEnvironment.getEnvironment();
        OrtSession vision = null;
        try {
            vision = environment.createSession(modelFiles.vision().toString(), options(device, intraOpThreads, allowSpinning));
            Optional<TextTower> text = Optional.empty();
            if (modelFiles.text().isPresent()) {
                ClipTokenizer tokenizer = tokenizerFor(modelFiles.dir());
                OrtSession textSession = environment.createSession(modelFiles.text().get().toString(),
                        options(device, intraOpThreads, allowSpinning));
                text = Optional.of(new TextTower(textSession, tokenizer));
            }
            return new ClipModel(environment, vision, text, device, modelFiles.name(), modelFiles.vision());
        } catch (OrtException e) {
            closeQuietly(vision);
            throw new ModelUnavailableException("ONNX Runtime could not load " + modelFiles.vision().getFileName()
                    + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(vision);
            throw e;
        }
    }

    private static ClipTokenizer tokenizerFor(Path dir) {
        try {
            return ClipTokenizer.forModelFolder(dir);
        } catch (UncheckedIOException | IllegalArgumentException e) {
            throw new ModelUnavailableException("the tokenizer files in '" + dir + "' cannot be used (" + e.getMessage()
                    + "); restore vocab.json and merges.txt from the export, or remove both to use CLIP's own vocabulary", e);
        }
    }

    /**
     * Session options, tuned for CPU inference of one batch at a time:
     * <ul>
     * <li>Graph optimisation level ALL: fuses attention, LayerNorm and GELU, and in the int8 tower
     * turns each DynamicQuantizeLinear → MatMulInteger → Cast → Mul chain into one
     * DynamicQuantizeMatMul kernel (VNNI/AMX). Optimising takes about a second at start-up; an
     * optimised-model file is not written, because it would be tied to this CPU and ONNX Runtime
     * version and the start-up gain is small next to hashing the model for the embedding cache.</li>
     * <li>Sequential execution, inter-op threads 1, intra-op threads = cores: a ViT is a chain of
     * large MatMuls with nothing to run side by side, so every core goes into each operator. Only
     * the {@link ImageBatchQueue}'s single inference thread runs the vision tower for requests, so
     * runs do not oversubscribe the cores (the knowledge-base load runs its own batches).</li>
     * <li>Spin-waiting of the intra-op threads off by default ({@code allowSpinning}): between
     * operators and between runs the pool's threads otherwise busy-wait for work, stealing the CPU
     * that decoding and preprocessing of the next batch need on a small machine; measured in
     * docs/BENCHMARKS.md.</li>
     * <li>The CPU memory arena and memory-pattern planning stay on (the defaults): intermediate
     * tensors of a run are carved from one reused arena instead of malloc'd per operator; the arena
     * grows to the largest batch's needs (max-batch bounds it) and is kept.</li>
     * <li>Inputs are direct, native-order buffers that ONNX Runtime wraps without copying
     * ({@link #embedImages}); preprocessing writes straight into them.</li>
     * </ul>
     * The CUDA provider is appended first so that ONNX Runtime places every node it supports on the
     * GPU and the rest on the CPU.
     */
    private static OrtSession.SessionOptions options(Device device, int intraOpThreads, boolean allowSpinning)
            throws OrtException {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
        options.setIntraOpNumThreads(intraOpThreads);
        options.setInterOpNumThreads(1);
        options.setCPUArenaAllocator(true);
        options.setMemoryPatternOptimization(true);
        options.addConfigEntry("session.intra_op.allow_spinning", allowSpinning ? "1" : "0");
        if (device == Device.CUDA) {
            options.addCUDA(0);
        }
        return options;
    }

    /** Whether this ONNX Runtime build carries the CUDA execution provider. */
    public static boolean cudaProviderAvailable() {
        return OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA);
    }

    /**
     * Embeds a batch of preprocessed images.
     *
     * @param pixels {@code batch × 3 × S × S} floats, NCHW, from position 0 to the limit; a direct
     *               buffer avoids a copy into ONNX Runtime
     * @return one L2-normalised embedding per image
     */
    public float[][] embedImages(FloatBuffer pixels, int batch) {
        long[] shape = {batch, 3, imageSize, imageSize};
        try (OnnxTensor input = OnnxTensor.createTensor(environment, pixels, shape);
                OrtSession.Result result = visionSession.run(Map.of(pixelInput, input), java.util.Set.of(imageOutput))) {
            return matrix(result, imageOutput, batch);
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed to embed " + batch + " image(s): " + e.getMessage(), e);
        }
    }

    /**
     * Embeds a batch of tokenized texts in one run.
     *
     * @param texts each {@link #contextLength()} ids long, from {@link #tokenizer()}
     * @return one L2-normalised embedding per text
     * @throws ModelUnavailableException when the model has no text tower
     */
    public float[][] embedTexts(List<TokenizedText> texts) {
        return requireTextTower().embed(environment, texts);
    }

    /**
     * The tokenizer that goes with the text tower: the export's own vocabulary files, or CLIP's.
     *
     * @throws ModelUnavailableException when the model has no text tower
     */
    public ClipTokenizer tokenizer() {
        return requireTextTower().tokenizer;
    }

    private TextTower requireTextTower() {
        return textTower.orElseThrow(() -> new ModelUnavailableException("the model folder '" + name
                + "' has no text tower (text_model.onnx), so text search and text embeddings are unavailable; run "
                + "onnx-models/download.sh to fetch the complete export, or put text_model.onnx beside the vision "
                + "tower (see onnx-models/README.md). Image endpoints are not affected"));
    }

    private static float[][] matrix(OrtSession.Result result, String outputName, int batch) throws OrtException {
        OnnxValue value = result.get(outputName).orElseThrow(
                () -> new IllegalStateException("the model produced no output named '" + outputName + "'"));
        float[][] rows = (float[][]) value.getValue(); // [batch, D]
        if (rows.length != batch) {
            throw new IllegalStateException("the model returned " + rows.length + " embeddings for " + batch + " inputs");
        }
        for (float[] row : rows) {
            normalise(row);
        }
        return rows;
    }

    /** Scales {@code vector} to unit length in place, so that inner product is cosine similarity. */
    static void normalise(float[] vector) {
        double sumOfSquares = 0;
        for (float v : vector) {
            sumOfSquares += (double) v * v;
        }
        if (sumOfSquares > 0) {
            float scale = (float) (1.0 / Math.sqrt(sumOfSquares));
            for (int i = 0; i < vector.length; i++) {
                vector[i] *= scale;
            }
        }
    }

    public int imageSize() {
        return imageSize;
    }

    public int dimensions() {
        return dimensions;
    }

    public boolean hasTextTower() {
        return textTower.isPresent();
    }

    /** Token positions the text tower expects (77 for CLIP). */
    public int contextLength() {
        return textTower.map(t -> t.contextLength).orElse(0);
    }

    public Device device() {
        return device;
    }

    /** A human-readable model name (the model folder's name). */
    public String name() {
        return name;
    }

    /** The vision tower's file: its content identifies the weights behind cached embeddings. */
    public Path visionFile() {
        return visionFile;
    }

    @Override
    public void close() {
        textTower.ifPresent(t -> closeQuietly(t.session));
        closeQuietly(visionSession);
    }

    private static void closeQuietly(OrtSession session) {
        if (session != null) {
            try {
                session.close();
            } catch (OrtException e) {
                LOG.debugf("closing an ONNX Runtime session failed: %s", e.getMessage());
            }
        }
    }

    private static TensorInfo tensorInfo(NodeInfo node) {
        if (!(node.getInfo() instanceof TensorInfo info)) {
            throw new ModelUnavailableException("the model's node '" + node.getName() + "' is not a tensor");
        }
        return info;
    }

    /** The one float tensor of the given rank among {@code nodes}, or a message naming what was expected. */
    private static String singleFloatTensor(Map<String, NodeInfo> nodes, int rank, String expected) {
        List<String> candidates = nodes.values().stream()
                .filter(n -> n.getInfo() instanceof TensorInfo t && t.type == OnnxJavaType.FLOAT && t.getShape().length == rank)
                .map(NodeInfo::getName).toList();
        if (candidates.size() != 1) {
            throw new ModelUnavailableException("cannot tell the model's " + expected + ", found " + nodes.keySet());
        }
        return candidates.get(0);
    }

    private static String shapeText(long[] shape) {
        return java.util.Arrays.toString(shape).replace("-1", "?");
    }

    /** The text tower's session, its input names read from metadata, and its tokenizer. */
    private static final class TextTower {
        private final OrtSession session;
        private final ClipTokenizer tokenizer;
        private final String idsInput;
        private final Optional<String> maskInput;
        private final String output;
        private final int contextLength;
        private final int dimensions;

        TextTower(OrtSession session, ClipTokenizer tokenizer) throws OrtException {
            this.session = session;
            this.tokenizer = tokenizer;
            Map<String, NodeInfo> inputs = session.getInputInfo();
            this.idsInput = inputs.containsKey("input_ids") ? "input_ids" : inputs.keySet().iterator().next();
            this.maskInput = inputs.containsKey("attention_mask") ? Optional.of("attention_mask") : Optional.empty();
            long[] idsShape = tensorInfo(inputs.get(idsInput)).getShape(); // [N, 77]
            this.contextLength = idsShape.length == 2 && idsShape[1] > 0 ? (int) idsShape[1] : 77;
            Map<String, NodeInfo> outputs = session.getOutputInfo();
            this.output = outputs.containsKey("text_embeds") ? "text_embeds"
                    : singleFloatTensor(outputs, 2, "text embedding output: expected 'text_embeds' or exactly one [N, D] float output");
            this.dimensions = (int) tensorInfo(outputs.get(output)).getShape()[1];
        }

        float[][] embed(OrtEnvironment environment, List<TokenizedText> texts) {
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
                try (OrtSession.Result result = session.run(feed, java.util.Set.of(output))) {
                    return matrix(result, output, batch);
                }
            } catch (OrtException e) {
                throw new IllegalStateException("ONNX Runtime failed to embed " + batch + " text(s): " + e.getMessage(), e);
            }
        }
    }

    /** Files of one model export; {@code dir} also holds the tokenizer's vocabulary, if it has its own. */
    public record ModelFiles(String name, Path dir, Path vision, Optional<Path> text) {

        /**
         * Finds the towers in {@code dir}: Hugging Face's {@code onnx/} layout or a flat folder.
         * The int8 variant uses the quantised vision tower; the text tower is always float.
         */
        public static Optional<ModelFiles> find(Path dir, String variant) {
            String visionName = "int8".equals(variant) ? "vision_model_quantized.onnx" : "vision_model.onnx";
            List<Path> visionCandidates = List.of(dir.resolve("onnx").resolve(visionName), dir.resolve(visionName),
                    dir.resolve("int8".equals(variant) ? "vision_quantized.onnx" : "vision.onnx"));
            Optional<Path> vision = visionCandidates.stream().filter(Files::isRegularFile).findFirst();
            if (vision.isEmpty()) {
                return Optional.empty();
            }
            Optional<Path> text = List.of(dir.resolve("onnx").resolve("text_model.onnx"), dir.resolve("text_model.onnx"),
                    dir.resolve("text.onnx")).stream().filter(Files::isRegularFile).findFirst();
            Path fileName = dir.toAbsolutePath().normalize().getFileName();
            String name = fileName == null ? "clip" : fileName.toString();
            return Optional.of(new ModelFiles(name, dir, vision.get(), text));
        }
    }
}
