package io.multimodalrag.clip;

import java.util.concurrent.Executor;

/**
 * A faithful port of Pillow 9.4's {@code Image.resize(size, BICUBIC)} for 8-bit RGB (libImaging/Resample.c),
 * because CLIP's torchvision {@code Resize} on a PIL image is exactly that call and the model learned from its
 * output. What must match, and does:
 * <ul>
 *   <li>the cubic convolution kernel with a = −0.5, support 2, widened by the scale factor when downscaling
 *       (Pillow's built-in antialiasing);</li>
 *   <li>{@code precompute_coeffs}: window bounds rounded as {@code (int)(center ± support + 0.5)} and clamped, weights
 *       normalised to sum 1 in double, then to 22-bit fixed point rounding away from zero;</li>
 *   <li>two separable passes, horizontal first, each accumulating in int from 2²¹ (one half) and clipping to
 *       uint8 — the intermediate image really is 8-bit;</li>
 *   <li>a pass is skipped when that dimension does not change.</li>
 * </ul>
 * Each output pixel depends only on its own coefficients, so the resampler computes just a window of the result
 * (the CLIP centre crop) with the same values as a full resize. The passes themselves run in a
 * {@link ResampleKernel}: on the Vector API when the JVM has it, else scalar, with identical results.
 */
final class PillowBicubicResampler {

    /** 8 bits of result, 2 bits of headroom for negative lobes and overshoot, in a 32-bit int. */
    static final int PRECISION_BITS = 32 - 8 - 2;
    /** One half in fixed point: every sum starts here, so that dropping the fraction rounds. */
    static final int HALF = 1 << (PRECISION_BITS - 1);
    private static final double BICUBIC_SUPPORT = 2.0;
    private static final double BICUBIC_A = -0.5;
    private static final int CHANNELS = 3;
    /** The intermediate stripe, kept per thread up to 16 MB (4 Mi ints, enough for a 20-megapixel photo). */
    private static final ThreadScratch STRIPES = new ThreadScratch(4 << 20);
    /** The fewest source rows worth handing to another thread (a 224-wide row is a few microseconds). */
    private static final int MIN_SPLIT_ROWS = 32;

    private PillowBicubicResampler() {
    }

    /**
     * Resizes a width×height packed 0xRRGGBB image to newWidth×newHeight with the passes of {@code kernel}, and
     * returns only the window of the result with the given top-left corner and size, as three planes of
     * windowWidth×windowHeight samples (0–255), red, green, blue, each row-major: the layout of a CHW tensor.
     */
    static int[] resizeWindowPlanar(ResampleKernel kernel, int[] pixels, int width, int height, int newWidth,
                                    int newHeight, int left, int top, int windowWidth, int windowHeight) {
        return resizeWindowPlanar(kernel, pixels, width, height, newWidth, newHeight, left, top, windowWidth,
                windowHeight, new int[CHANNELS * windowWidth * windowHeight]);
    }

    /**
     * The same, into {@code out} (at least 3 × windowWidth × windowHeight long), which it returns: the encoder
     * passes a reused array.
     */
    static int[] resizeWindowPlanar(ResampleKernel kernel, int[] pixels, int width, int height, int newWidth,
                                    int newHeight, int left, int top, int windowWidth, int windowHeight, int[] out) {
        return resizeWindowPlanar(kernel, pixels, width, height, newWidth, newHeight, left, top, windowWidth,
                windowHeight, out, RangeSplit.SEQUENTIAL);
    }

    /**
     * The same, offering half of the horizontal pass's rows (most of the work) to {@code helper}
     * ({@link RangeSplit}); the values do not depend on who computes which row.
     */
    static int[] resizeWindowPlanar(ResampleKernel kernel, int[] pixels, int width, int height, int newWidth,
                                    int newHeight, int left, int top, int windowWidth, int windowHeight, int[] out,
                                    Executor helper) {
        if (pixels.length < (long) width * height) {
            throw new IllegalArgumentException("pixel array holds " + pixels.length + " values, fewer than "
                    + width + "×" + height + "; pass the image's full packed RGB array");
        }
        WindowResize resize = new WindowResize(kernel, width, height, newWidth, newHeight, left, top, windowWidth,
                windowHeight, out);
        RangeSplit.run(helper, resize.firstRow, resize.endRow, MIN_SPLIT_ROWS,
                (from, to) -> resize.firstPass(pixels, from, to));
        return resize.secondPass();
    }

    /**
     * One window resize in its two passes: {@link #firstPass} once over every row of {@link #firstRow}..{@link
     * #endRow}-1, in any order and from any threads, then {@link #secondPass()}.
     */
    private static final class WindowResize {
        private final ResampleKernel kernel;
        private final int width;
        private final Coefficients columns;
        /** The horizontal pass over {@link #columns}, prepared once for all of the image's calls. */
        private final ResampleKernel.HorizontalPass horizontal;
        private final Coefficients rows;
        private final int firstRow;
        private final int endRow;
        private final int left;
        private final int windowWidth;
        private final int windowHeight;
        private final int[] stripe;
        private final int[] out;

        WindowResize(ResampleKernel kernel, int width, int height, int newWidth, int newHeight, int left, int top,
                     int windowWidth, int windowHeight, int[] out) {
            if (out.length < CHANNELS * windowWidth * windowHeight) {
                throw new IllegalArgumentException("out holds " + out.length + " ints, fewer than 3 × " + windowWidth
                        + " × " + windowHeight);
            }
            if (left < 0 || top < 0 || windowWidth < 1 || windowHeight < 1
                    || left + windowWidth > newWidth || top + windowHeight > newHeight) {
                throw new IllegalArgumentException("window " + windowWidth + "×" + windowHeight + " at (" + left + ", "
                        + top + ") does not fit inside the resized " + newWidth + "×" + newHeight
                        + " image; check the crop geometry");
            }
            this.kernel = kernel;
            this.width = width;
            this.left = left;
            this.windowWidth = windowWidth;
            this.windowHeight = windowHeight;
            this.out = out;
            // A pass is skipped when its dimension does not change. The vertical coefficients say which source rows
            // the horizontal pass has to produce.
            this.columns = newWidth != width ? Coefficients.bicubic(width, newWidth, left, windowWidth) : null;
            this.horizontal = columns != null ? kernel.horizontalPass(columns) : null;
            this.rows = newHeight != height ? Coefficients.bicubic(height, newHeight, top, windowHeight) : null;
            this.firstRow = rows != null ? rows.firstSource() : top;
            this.endRow = rows != null ? rows.endSource() : top + windowHeight;
            // 3 × (endRow - firstRow, windowWidth): source rows, already resampled horizontally; without a vertical
            // pass that is the result
            this.stripe = rows != null ? STRIPES.atLeast(CHANNELS * (endRow - firstRow) * windowWidth) : out;
        }

        /**
         * The horizontal pass (or, without one, the window's columns) of source rows {@code from..to-1} of the
         * packed 0xRRGGBB image. Calls for disjoint rows write disjoint parts of the stripe, so two threads may make
         * them at once.
         */
        void firstPass(int[] pixels, int from, int to) {
            int plane = (endRow - firstRow) * windowWidth;
            int offset = (from - firstRow) * windowWidth;
            if (columns != null) {
                horizontal.run(pixels, width, from, to, stripe, offset, plane);
            } else {
                unpackColumns(pixels, from, to, offset, plane);
            }
        }

        /** The vertical pass over the stripe, once every row has had its first pass; returns the window. */
        int[] secondPass() {
            if (rows != null) {
                kernel.vertical(stripe, windowWidth, endRow - firstRow, firstRow, rows, 0, windowHeight, out);
            }
            return out;
        }

        /** Columns {@code left..left+windowWidth-1} of rows {@code from..to-1} into the stripe's three planes. */
        private void unpackColumns(int[] pixels, int from, int to, int offset, int plane) {
            for (int y = from, o = offset; y < to; y++) {
                int rowStart = y * width + left;
                for (int i = rowStart; i < rowStart + windowWidth; i++, o++) {
                    int pixel = pixels[i];
                    stripe[o] = pixel >> 16 & 0xFF;
                    stripe[plane + o] = pixel >> 8 & 0xFF;
                    stripe[2 * plane + o] = pixel & 0xFF;
                }
            }
        }
    }

    /** Resample.c's clip8: drop the fixed-point fraction (arithmetic shift, like C on int) and clamp to uint8. */
    static int clip8(int accumulator) {
        return Math.max(0, Math.min(accumulator >> PRECISION_BITS, 255));
    }

    /** Resample.c's bicubic_filter, same operation order so doubles round identically. */
    private static double bicubic(double x) {
        if (x < 0.0) {
            x = -x;
        }
        if (x < 1.0) {
            return ((BICUBIC_A + 2.0) * x - (BICUBIC_A + 3.0)) * x * x + 1;
        }
        if (x < 2.0) {
            return (((x - 5) * x + 8) * x - 4) * BICUBIC_A;
        }
        return 0.0;
    }

    /**
     * Fixed-point filter taps for output indices {@code from .. from + count - 1} of one dimension
     * ({@code precompute_coeffs} followed by {@code normalize_coeffs_8bpc}).
     *
     * @param starts  first source index per output index
     * @param sizes   number of taps per output index
     * @param weights taps, {@code stride} slots per output index
     */
    record Coefficients(int[] starts, int[] sizes, int[] weights, int stride) {

        static Coefficients bicubic(int inSize, int outSize, int from, int count) {
            // Pillow passes the box (0, inSize) as floats; in1 - in0 is exact, so this is the same double.
            double scale = (double) inSize / outSize;
            double filterScale = Math.max(scale, 1.0);
            double support = BICUBIC_SUPPORT * filterScale;
            int stride = (int) Math.ceil(support) * 2 + 1;
            int[] starts = new int[count];
            int[] sizes = new int[count];
            int[] weights = new int[count * stride];
            double[] taps = new double[stride];
            for (int i = 0; i < count; i++) {
                int xx = from + i;
                double center = (xx + 0.5) * scale;
                double sum = 0.0;
                double inverseScale = 1.0 / filterScale;
                int xmin = (int) (center - support + 0.5); // C cast: truncation toward zero, then clamp
                if (xmin < 0) {
                    xmin = 0;
                }
                int xmax = (int) (center + support + 0.5);
                if (xmax > inSize) {
                    xmax = inSize;
                }
                xmax -= xmin;
                for (int x = 0; x < xmax; x++) {
                    double w = PillowBicubicResampler.bicubic((x + xmin - center + 0.5) * inverseScale);
                    taps[x] = w;
                    sum += w;
                }
                for (int x = 0; x < xmax; x++) {
                    if (sum != 0.0) {
                        taps[x] /= sum;
                    }
                    weights[i * stride + x] = taps[x] < 0
                            ? (int) (-0.5 + taps[x] * (1 << PRECISION_BITS))
                            : (int) (0.5 + taps[x] * (1 << PRECISION_BITS));
                }
                starts[i] = xmin;
                sizes[i] = xmax;
            }
            return new Coefficients(starts, sizes, weights, stride);
        }

        int count() {
            return starts.length;
        }

        int start(int i) {
            return starts[i];
        }

        int size(int i) {
            return sizes[i];
        }

        int weightIndex(int i) {
            return i * stride;
        }

        /** First source index any output in the window reads (windows start and end monotonically). */
        int firstSource() {
            return starts[0];
        }

        /** One past the last source index any output in the window reads. */
        int endSource() {
            int last = starts.length - 1;
            return starts[last] + sizes[last];
        }
    }
}
