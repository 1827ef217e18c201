package io.multimodalrag.clip;

import io.multimodalrag.clip.PillowBicubicResampler.Coefficients;

/** Resample.c's two 8-bit passes as written there: one output sample at a time, taps in order. */
final class ScalarResampleKernel implements ResampleKernel {

    private final String reason;

    /** @param reason why the Vector API kernel is not used, for the start-up log */
    ScalarResampleKernel(String reason) {
        this.reason = reason;
    }

    @Override
    public HorizontalPass horizontalPass(Coefficients columns) {
        return (pixels, width, firstRow, endRow, out, outOffset, plane) ->
                horizontal(pixels, width, firstRow, endRow, columns, out, outOffset, plane);
    }

    @Override
    public void horizontal(int[] pixels, int width, int firstRow, int endRow, Coefficients columns, int[] out,
                           int outOffset, int plane) {
        int outWidth = columns.count();
        int[] weights = columns.weights();
        for (int y = firstRow, o = outOffset; y < endRow; y++) {
            int rowStart = y * width;
            for (int column = 0; column < outWidth; column++, o++) {
                horizontalSample(pixels, rowStart + columns.start(column), columns.size(column), weights,
                        columns.weightIndex(column), out, o, plane);
            }
        }
    }

    /**
     * One output pixel of the horizontal pass: {@code taps} source pixels from {@code source} weighted by
     * {@code weights} from {@code weightIndex}; red, green and blue go to {@code out[o]}, {@code out[o + plane]}
     * and {@code out[o + 2 × plane]}.
     */
    static void horizontalSample(int[] pixels, int source, int taps, int[] weights, int weightIndex, int[] out, int o,
                                 int plane) {
        int red = PillowBicubicResampler.HALF;
        int green = PillowBicubicResampler.HALF;
        int blue = PillowBicubicResampler.HALF;
        for (int tap = 0; tap < taps; tap++) {
            int pixel = pixels[source + tap];
            int weight = weights[weightIndex + tap];
            red += (pixel >> 16 & 0xFF) * weight;
            green += (pixel >> 8 & 0xFF) * weight;
            blue += (pixel & 0xFF) * weight;
        }
        out[o] = PillowBicubicResampler.clip8(red);
        out[plane + o] = PillowBicubicResampler.clip8(green);
        out[2 * plane + o] = PillowBicubicResampler.clip8(blue);
    }

    @Override
    public void verticalRow(int[] stripe, int first, int width, int taps, int[] weights, int weightIndex, int[] out,
                            int o) {
        for (int x = 0; x < width; x++) {
            out[o + x] = verticalSample(stripe, first + x, width, taps, weights, weightIndex);
        }
    }

    /** One sample of the vertical pass: {@code taps} samples a {@code width} apart from {@code source}, weighted. */
    static int verticalSample(int[] stripe, int source, int width, int taps, int[] weights, int weightIndex) {
        int sum = PillowBicubicResampler.HALF;
        for (int tap = 0; tap < taps; tap++, source += width) {
            sum += stripe[source] * weights[weightIndex + tap];
        }
        return PillowBicubicResampler.clip8(sum);
    }

    @Override
    public String description() {
        return "scalar (" + reason + ")";
    }
}
