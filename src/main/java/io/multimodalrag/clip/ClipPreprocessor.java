package io.multimodalrag.clip;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.awt.image.SinglePixelPackedSampleModel;
import java.awt.image.WritableRaster;
import java.nio.FloatBuffer;
import java.util.concurrent.Executor;

/**
 * Turns a decoded RGB image into CLIP's image input tensor, reproducing OpenAI's {@code clip.load} preprocess
 * ({@code _transform} in clip/clip.py) on Pillow 9.4 / torchvision 0.14:
 * <pre>
 * Resize(S, BICUBIC)  shortest side to S, long side int(S·long/short); Pillow's antialiased 8-bit bicubic
 * CenterCrop(S)       offsets int(round((size − S) / 2.0)), round half to even
 * convert("RGB")      the input is already RGB (see ImageDecoder)
 * ToTensor()          v / 255, HWC → CHW
 * Normalize(MEAN, STD)
 * </pre>
 * The result is planar NCHW float32 for one image: 3 planes of S×S, red first. Only the part of the resized image
 * that survives the centre crop is computed; the values are the same as resizing everything and then cropping.
 * <p>
 * Safe to share between threads: apart from per-thread working arrays it holds no state after construction.
 */
public final class ClipPreprocessor {

    /** Per-channel mean of CLIP's Normalize, red, green, blue. */
    public static final float[] MEAN = {0.48145466f, 0.4578275f, 0.40821073f};
    /** Per-channel standard deviation of CLIP's Normalize, red, green, blue. */
    public static final float[] STD = {0.26862954f, 0.26130258f, 0.27577711f};

    private static final int CHANNELS = 3;

    private final int imageSize;
    private final ResampleKernel kernel;
    /**
     * ToTensor + Normalize of each possible 8-bit sample, per channel: the same float32 operations, done once at
     * construction, so that a later change to the public MEAN or STD arrays cannot reach a running pipeline.
     */
    private final float[][] normalised = new float[CHANNELS][256];
    /** Per thread, the cropped samples and the tensor of the last image, reused for the next (see the resampler). */
    private final ThreadScratch croppedScratch;
    private final ThreadLocal<float[]> valuesScratch;

    /** @param imageSize the model's input resolution S (224 for ViT-B/32), from the model's metadata */
    public ClipPreprocessor(int imageSize) {
        this(imageSize, ResampleKernel.fastestAvailable());
    }

    /** With a given resampling kernel, so that tests can run both. */
    ClipPreprocessor(int imageSize, ResampleKernel kernel) {
        if (imageSize < 1) {
            throw new IllegalArgumentException("imageSize must be positive but was " + imageSize
                    + "; take it from the model's metadata (224 for ViT-B/32)");
        }
        this.imageSize = imageSize;
        this.kernel = kernel;
        int length = tensorLength();
        this.croppedScratch = new ThreadScratch(length);
        this.valuesScratch = ThreadLocal.withInitial(() -> new float[length]);
        for (int channel = 0; channel < CHANNELS; channel++) {
            for (int sample = 0; sample < 256; sample++) {
                float value = sample / 255f;
                normalised[channel][sample] = (value - MEAN[channel]) / STD[channel];
            }
        }
    }

    public int imageSize() {
        return imageSize;
    }

    /** Returns a new array of 3·S·S floats: the (3, S, S) tensor of one image. */
    public float[] preprocess(BufferedImage rgb) {
        float[] tensor = new float[tensorLength()];
        preprocess(rgb, FloatBuffer.wrap(tensor));
        return tensor;
    }

    /**
     * Writes the (3, S, S) tensor of one image at {@code target}'s position and advances the position by 3·S·S,
     * so a batch's direct buffer can be filled image after image without intermediate copies.
     *
     * @param rgb an opaque RGB image, as {@code ImageDecoder.decode} returns; other types are converted with
     *            {@link BufferedImage#getRGB} (colour-managed, alpha dropped as Pillow's convert("RGB") would)
     */
    public void preprocess(BufferedImage rgb, FloatBuffer target) {
        preprocess(rgb, target, RangeSplit.SEQUENTIAL);
    }

    /**
     * As {@link #preprocess(BufferedImage, FloatBuffer)}, offering half of the resize to {@code helper}
     * ({@link RangeSplit}): the encoder passes its worker pool for an image prepared while nothing else is.
     */
    public void preprocess(BufferedImage rgb, FloatBuffer target, Executor helper) {
        checkRoom(target);
        int length = tensorLength();
        int width = rgb.getWidth();
        int height = rgb.getHeight();
        // (height, width) packed 0xRRGGBB
        int[] pixels = packedRgb(rgb);
        ClipCropGeometry geometry = ClipCropGeometry.of(width, height, imageSize);
        // 3 × (S, S) samples: the centre crop of the resized image, channel planes red, green, blue
        int[] cropped = PillowBicubicResampler.resizeWindowPlanar(kernel, pixels, width, height,
                geometry.resizedWidth(), geometry.resizedHeight(),
                geometry.cropLeft(), geometry.cropTop(), imageSize, imageSize, croppedScratch.atLeast(length), helper);
        normalise(cropped, 0, imageSize, target, target.position());
        target.position(target.position() + length);
    }

    /**
     * Rows {@code fromRow..toRow-1} of 3 × (S, S) uint8 → (3, S, S) float32: ToTensor then Normalize, in torch's
     * float32 operation order (precomputed per sample value), one bulk copy per channel into the tensor that starts at
     * {@code base} in {@code target} (absolute, so two threads may write disjoint rows).
     */
    private void normalise(int[] cropped, int fromRow, int toRow, FloatBuffer target, int base) {
        int plane = imageSize * imageSize;
        int count = (toRow - fromRow) * imageSize;
        float[] values = valuesScratch.get();
        for (int channel = 0; channel < CHANNELS; channel++) {
            float[] table = normalised[channel];
            int first = channel * plane + fromRow * imageSize;
            for (int i = 0; i < count; i++) {
                values[i] = table[cropped[first + i]];
            }
            target.put(base + first, values, 0, count);
        }
    }

    /** A (3, S, S) tensor must fit from the target's position on. */
    private void checkRoom(FloatBuffer target) {
        int length = tensorLength();
        if (target.remaining() < length) {
            throw new IllegalArgumentException("target has room for " + target.remaining() + " floats but one "
                    + imageSize + "×" + imageSize + " image needs " + length + "; allocate batchSize × " + length
                    + " floats and do not write past the batch");
        }
    }

    private int tensorLength() {
        return CHANNELS * imageSize * imageSize;
    }

    /** The image as (height, width) packed 0xRRGGBB ints; only read, never written. */
    private static int[] packedRgb(BufferedImage image) {
        int width = image.getWidth();
        int height = image.getHeight();
        if (image.getType() == BufferedImage.TYPE_INT_RGB) {
            WritableRaster raster = image.getRaster();
            boolean wholeBuffer = raster.getParent() == null
                    && raster.getDataBuffer().getOffset() == 0
                    && raster.getSampleModel() instanceof SinglePixelPackedSampleModel layout
                    && layout.getScanlineStride() == width;
            if (wholeBuffer) {
                // ImageDecoder's output: read its pixel array in place rather than copying up to 200 MB.
                return ((DataBufferInt) raster.getDataBuffer()).getData();
            }
            return (int[]) raster.getDataElements(0, 0, width, height, null);
        }
        int[] pixels = image.getRGB(0, 0, width, height, null, 0, width);
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] &= 0xFFFFFF;
        }
        return pixels;
    }
}
