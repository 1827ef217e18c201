package io.multimodalrag.clip;

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
 * Pixels are packed {@code 0xRRGGBB} ints, row-major. Each output pixel depends only on its own coefficients, so the
 * resampler can compute just a window of the result (the CLIP centre crop) with the same values as a full resize.
 */
final class PillowBicubicResampler {

    /** 8 bits of result, 2 bits of headroom for negative lobes and overshoot, in a 32-bit int. */
    private static final int PRECISION_BITS = 32 - 8 - 2;
    private static final int HALF = 1 << (PRECISION_BITS - 1);
    private static final double BICUBIC_SUPPORT = 2.0;
    private static final double BICUBIC_A = -0.5;

    private PillowBicubicResampler() {
    }

    /** Resizes a width×height image to newWidth×newHeight. */
    static int[] resize(int[] pixels, int width, int height, int newWidth, int newHeight) {
        return resizeWindow(pixels, width, height, newWidth, newHeight, 0, 0, newWidth, newHeight);
    }

    /**
     * Resizes a width×height image to newWidth×newHeight and returns only the window of the result with the given
     * top-left corner and size, as a windowWidth×windowHeight image.
     */
    static int[] resizeWindow(int[] pixels, int width, int height, int newWidth, int newHeight,
                              int left, int top, int windowWidth, int windowHeight) {
        if (pixels.length < (long) width * height) {
            throw new IllegalArgumentException("pixel array holds " + pixels.length + " values, fewer than "
                    + width + "×" + height + "; pass the image's full packed RGB array");
        }
        if (left < 0 || top < 0 || windowWidth < 1 || windowHeight < 1
                || left + windowWidth > newWidth || top + windowHeight > newHeight) {
            throw new IllegalArgumentException("window " + windowWidth + "×" + windowHeight + " at (" + left + ", " + top
                    + ") does not fit inside the resized " + newWidth + "×" + newHeight + " image; check the crop geometry");
        }
        boolean horizontal = newWidth != width;
        boolean vertical = newHeight != height;

        // The vertical coefficients say which source rows the horizontal pass has to produce.
        Coefficients rows = vertical ? Coefficients.bicubic(height, newHeight, top, windowHeight) : null;
        int firstRow = vertical ? rows.firstSource() : top;
        int endRow = vertical ? rows.endSource() : top + windowHeight;

        // (endRow - firstRow, windowWidth): source rows, already resampled horizontally
        int[] stripe = horizontal
                ? horizontalPass(pixels, width, firstRow, endRow, Coefficients.bicubic(width, newWidth, left, windowWidth))
                : copyColumns(pixels, width, firstRow, endRow, left, windowWidth);
        if (!vertical) {
            return stripe;
        }
        // (windowHeight, windowWidth)
        return verticalPass(stripe, windowWidth, firstRow, rows);
    }

    private static int[] horizontalPass(int[] pixels, int width, int firstRow, int endRow, Coefficients columns) {
        int outWidth = columns.count();
        int[] out = new int[(endRow - firstRow) * outWidth];
        for (int y = firstRow, o = 0; y < endRow; y++) {
            int rowStart = y * width;
            for (int column = 0; column < outWidth; column++, o++) {
                int source = rowStart + columns.start(column);
                int taps = columns.size(column);
                int weightIndex = columns.weightIndex(column);
                int red = HALF;
                int green = HALF;
                int blue = HALF;
                for (int tap = 0; tap < taps; tap++) {
                    int pixel = pixels[source + tap];
                    int weight = columns.weights()[weightIndex + tap];
                    red += (pixel >> 16 & 0xFF) * weight;
                    green += (pixel >> 8 & 0xFF) * weight;
                    blue += (pixel & 0xFF) * weight;
                }
                out[o] = clip8(red) << 16 | clip8(green) << 8 | clip8(blue);
            }
        }
        return out;
    }

    private static int[] verticalPass(int[] stripe, int width, int firstRow, Coefficients rows) {
        int outHeight = rows.count();
        int[] out = new int[outHeight * width];
        for (int row = 0, o = 0; row < outHeight; row++) {
            int sourceRow = rows.start(row) - firstRow;
            int taps = rows.size(row);
            int weightIndex = rows.weightIndex(row);
            for (int x = 0; x < width; x++, o++) {
                int red = HALF;
                int green = HALF;
                int blue = HALF;
                for (int tap = 0, source = sourceRow * width + x; tap < taps; tap++, source += width) {
                    int pixel = stripe[source];
                    int weight = rows.weights()[weightIndex + tap];
                    red += (pixel >> 16 & 0xFF) * weight;
                    green += (pixel >> 8 & 0xFF) * weight;
                    blue += (pixel & 0xFF) * weight;
                }
                out[o] = clip8(red) << 16 | clip8(green) << 8 | clip8(blue);
            }
        }
        return out;
    }

    private static int[] copyColumns(int[] pixels, int width, int firstRow, int endRow, int left, int count) {
        int[] out = new int[(endRow - firstRow) * count];
        for (int y = firstRow; y < endRow; y++) {
            System.arraycopy(pixels, y * width + left, out, (y - firstRow) * count, count);
        }
        return out;
    }

    /** Resample.c's clip8: drop the fixed-point fraction (arithmetic shift, like C on int) and clamp to uint8. */
    private static int clip8(int accumulator) {
        int value = accumulator >> PRECISION_BITS;
        return value < 0 ? 0 : Math.min(value, 255);
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
    private record Coefficients(int[] starts, int[] sizes, int[] weights, int stride) {

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
