package io.multimodalrag.clip;

import io.multimodalrag.image.RangeSplit;
import io.multimodalrag.image.RowReceiver;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.awt.image.SinglePixelPackedSampleModel;
import java.awt.image.WritableRaster;
import java.nio.FloatBuffer;
import java.util.BitSet;
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
     * A preprocessing into {@code target} (at its position, like {@link #preprocess(BufferedImage, FloatBuffer)}) that
     * takes the image's rows while it is being decoded ({@code ImageDecoder.decodeRows}): each batch of rows gets the
     * resize's horizontal pass as it arrives, and every output row whose source rows have all arrived gets the
     * vertical pass and the normalisation at once, so that little is left for {@link RowPass#finish()} when the
     * last row comes. For one image.
     *
     * @throws IllegalArgumentException when {@code target} has no room for a (3, S, S) tensor
     */
    public RowPass rowPass(FloatBuffer target) {
        checkRoom(target);
        return new RowPass(target);
    }

    /** See {@link #rowPass(FloatBuffer)}. */
    public final class RowPass implements RowReceiver {
        private final FloatBuffer target;
        private final int base;
        private PillowBicubicResampler.WindowResize resize;
        // Guarded by this: which source rows of the region have had their first pass, how far that is unbroken from
        // the region's first row, and the output rows claimed for the second pass so far.
        private BitSet arrived;
        private int unbroken;
        private int claimedOutput;

        private RowPass(FloatBuffer target) {
            this.target = target;
            this.base = target.position();
        }

        @Override
        public Region begin(int width, int height) {
            if (resize != null) {
                throw new IllegalStateException("a RowPass preprocesses one image; ask rowPass() for another");
            }
            ClipCropGeometry geometry = ClipCropGeometry.of(width, height, imageSize);
            resize = new PillowBicubicResampler.WindowResize(kernel, width, height, geometry.resizedWidth(),
                    geometry.resizedHeight(), geometry.cropLeft(), geometry.cropTop(), imageSize, imageSize,
                    croppedScratch.atLeast(tensorLength()));
            arrived = new BitSet(resize.endRow() - resize.firstRow());
            unbroken = resize.firstRow();
            return new Region(resize.firstRow(), resize.endRow(), resize.firstColumn(), resize.endColumn());
        }

        @Override
        public void rows(int[] pixels, int width, int from, int to) {
            resize.firstPass(pixels, from, from, to);
            int ready;
            int claimedFrom;
            synchronized (this) {
                arrived.set(from - resize.firstRow(), to - resize.firstRow());
                unbroken = resize.firstRow() + arrived.nextClearBit(unbroken - resize.firstRow());
                claimedFrom = claimedOutput;
                ready = claimedFrom;
                while (ready < imageSize && resize.sourceEnd(ready) <= unbroken) {
                    ready++;
                }
                claimedOutput = ready;
            }
            finishRows(claimedFrom, ready);
        }

        /**
         * Once every row has arrived (decodeRows returned true): the output rows not done yet, and the target's
         * position moved past the tensor.
         */
        public void finish() {
            if (resize == null) {
                throw new IllegalStateException("no image has been decoded into this RowPass");
            }
            int from;
            synchronized (this) {
                if (unbroken < resize.endRow()) {
                    throw new IllegalStateException("rows " + unbroken + ".." + (resize.endRow() - 1)
                            + " have not all arrived");
                }
                from = claimedOutput;
                claimedOutput = imageSize;
            }
            finishRows(from, imageSize);
            target.position(base + tensorLength());
        }

        /** Vertical pass and normalisation of output rows from..to-1, written straight into the target. */
        private void finishRows(int from, int to) {
            if (from >= to) {
                return;
            }
            resize.secondPass(from, to);
            normalise(resize.window(), from, to, target, base);
        }
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
