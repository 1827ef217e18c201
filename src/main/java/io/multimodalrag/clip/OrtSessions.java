package io.multimodalrag.clip;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.jboss.logging.Logger;

/** What the two towers share: how a session is opened, and how its metadata and outputs are read. */
final class OrtSessions {

    private static final Logger LOG = Logger.getLogger(OrtSessions.class);

    private OrtSessions() {
    }

    /**
     * A session over {@code file}, tuned for CPU inference of one batch at a time:
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
     * ({@link VisionTower#embed}); preprocessing writes straight into them.</li>
     * </ul>
     * The CUDA provider is appended first so that ONNX Runtime places every node it supports on the
     * GPU and the rest on the CPU; where CUDA cannot start, the session fails and {@link ModelLoader}
     * says why ({@link CudaFallback}).
     */
    static OrtSession open(OrtEnvironment environment, Path file, ClipModel.Device device, int intraOpThreads,
            boolean allowSpinning) throws OrtException {
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            options.setIntraOpNumThreads(intraOpThreads);
            options.setInterOpNumThreads(1);
            options.setCPUArenaAllocator(true);
            options.setMemoryPatternOptimization(true);
            options.addConfigEntry("session.intra_op.allow_spinning", allowSpinning ? "1" : "0");
            if (device == ClipModel.Device.CUDA) {
                options.addCUDA(0);
            }
            return environment.createSession(file.toString(), options);
        }
    }

    static TensorInfo tensorInfo(NodeInfo node) {
        if (!(node.getInfo() instanceof TensorInfo info)) {
            throw new ModelUnavailableException("the model's node '" + node.getName() + "' is not a tensor");
        }
        return info;
    }

    /** The node called {@code preferred}, else the one float tensor of the given rank, else a message naming what was expected. */
    static String name(Map<String, NodeInfo> nodes, String preferred, int rank, String expected) {
        if (nodes.containsKey(preferred)) {
            return preferred;
        }
        List<String> candidates = nodes.values().stream()
                .filter(n -> n.getInfo() instanceof TensorInfo t && t.type == OnnxJavaType.FLOAT && t.getShape().length == rank)
                .map(NodeInfo::getName).toList();
        if (candidates.size() != 1) {
            throw new ModelUnavailableException("cannot tell the model's " + expected + ", found " + nodes.keySet());
        }
        return candidates.get(0);
    }

    static String shapeText(long[] shape) {
        return Arrays.toString(shape).replace("-1", "?");
    }

    /** The [batch, D] output named {@code outputName}, each row L2-normalised. */
    static float[][] embeddings(OrtSession.Result result, String outputName, int batch) throws OrtException {
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

    static void closeQuietly(OrtSession session) {
        if (session != null) {
            try {
                session.close();
            } catch (OrtException e) {
                LOG.debugf("closing an ONNX Runtime session failed: %s", e.getMessage());
            }
        }
    }
}
