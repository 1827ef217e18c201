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
    public void horizontal(int[] pixels, int width, int firstRow, int endRow, Coefficients columns, int[] out) {
        int outWidth = columns.count();
        int plane = (endRow - firstRow) * outWidth;
        int[] weights = columns.weights();
        for (int y = firstRow, o = 0; y < endRow; y++) {
            int rowStart = y * width;
            for (int column = 0; column < outWidth; column++, o++) {
                int source = rowStart + columns.start(column);
                int taps = columns.size(column);
                int weightIndex = columns.weightIndex(column);
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
        }
    }

    @Override
    public void vertical(int[] stripe, int width, int stripeRows, int firstRow, Coefficients rows, int[] out) {
        int inPlane = stripeRows * width;
        int outPlane = rows.count() * width;
        int[] weights = rows.weights();
        for (int channel = 0; channel < 3; channel++) {
            for (int row = 0; row < rows.count(); row++) {
                int first = channel * inPlane + (rows.start(row) - firstRow) * width;
                int taps = rows.size(row);
                int weightIndex = rows.weightIndex(row);
                int o = channel * outPlane + row * width;
                for (int x = 0; x < width; x++) {
                    int sum = PillowBicubicResampler.HALF;
                    for (int tap = 0, source = first + x; tap < taps; tap++, source += width) {
                        sum += stripe[source] * weights[weightIndex + tap];
                    }
                    out[o + x] = PillowBicubicResampler.clip8(sum);
                }
            }
        }
    }

    @Override
    public String description() {
        return "scalar (" + reason + ")";
    }
}
