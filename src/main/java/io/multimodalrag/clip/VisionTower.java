package io.multimodalrag.clip;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.Map;
import java.util.Set;

/**
 * CLIP's vision tower in one ONNX Runtime session, shared by all threads (an {@code OrtSession} may
 * run concurrently). Its input and output names, the image size and the embedding size come from
 * the session's metadata: Hugging Face exports ({@code pixel_values → image_embeds}) and other
 * exports (one 4-D float input, one [N, D] output) both work. {@link ImageEncoder} is its caller.
 */
public final class VisionTower implements AutoCloseable {

    private final OrtEnvironment environment;
    private final OrtSession session;
    private final String pixelInput;
    private final String output;
    private final int imageSize;
    private final int dimensions;

    VisionTower(OrtEnvironment environment, OrtSession session) throws OrtException {
        this.environment = environment;
        this.session = session;
        Map<String, NodeInfo> inputs = session.getInputInfo();
        this.pixelInput = OrtSessions.name(inputs, "pixel_values", 4,
                "image input: expected 'pixel_values' or exactly one 4-D float input");
        long[] pixelShape = OrtSessions.tensorInfo(inputs.get(pixelInput)).getShape(); // [N, 3, S, S]
        if (pixelShape[1] != 3 || pixelShape[2] <= 0 || pixelShape[2] != pixelShape[3]) {
            throw new ModelUnavailableException("the vision model's input '" + pixelInput + "' has shape "
                    + OrtSessions.shapeText(pixelShape) + "; expected [batch, 3, S, S] with a fixed square size S");
        }
        this.imageSize = (int) pixelShape[2];
        Map<String, NodeInfo> outputs = session.getOutputInfo();
        this.output = OrtSessions.name(outputs, "image_embeds", 2,
                "image embedding output: expected 'image_embeds' or exactly one [N, D] float output");
        long[] embedShape = OrtSessions.tensorInfo(outputs.get(output)).getShape(); // [N, D]
        this.dimensions = (int) embedShape[1];
        if (dimensions <= 0) {
            throw new ModelUnavailableException("the vision model's output '" + output
                    + "' has no fixed embedding size: " + OrtSessions.shapeText(embedShape));
        }
    }

    /**
     * Embeds a batch of preprocessed images.
     *
     * @param pixels {@code batch × 3 × S × S} floats, NCHW, from position 0 to the limit; a direct
     *               buffer avoids a copy into ONNX Runtime
     * @return one L2-normalised embedding per image
     */
    public float[][] embed(FloatBuffer pixels, int batch) {
        long[] shape = {batch, 3, imageSize, imageSize};
        try (OnnxTensor input = OnnxTensor.createTensor(environment, pixels, shape);
                OrtSession.Result result = session.run(Map.of(pixelInput, input), Set.of(output))) {
            return OrtSessions.embeddings(result, output, batch);
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed to embed " + batch + " image(s): " + e.getMessage(), e);
        }
    }

    /** The side S of the square images the tower takes. */
    public int imageSize() {
        return imageSize;
    }

    public int dimensions() {
        return dimensions;
    }

    @Override
    public void close() {
        OrtSessions.closeQuietly(session);
    }
}
