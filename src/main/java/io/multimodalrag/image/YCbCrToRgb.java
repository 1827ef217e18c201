package io.multimodalrag.image;

import io.multimodalrag.vector.VectorModule;

/**
 * libjpeg's YCbCr → RGB conversion ({@code jdcolor.c}, fixed point with 16 fraction bits, identical in
 * libjpeg-turbo and so in Pillow) over interleaved Y, Cb, Cr bytes, the innermost loop of JPEG decoding: half of
 * a photo's decode time when done one pixel at a time (measured 3.1 ns per pixel on the demo photos).
 *
 * <p>Two implementations give the same values: {@link Scalar}, libjpeg's table lookups, and
 * {@code VectorYCbCrToRgb}, the same arithmetic on the incubating Vector API, which only
 * {@link #fastestAvailable()} creates, through {@link VectorModule}, when the JVM has the module.
 */
interface YCbCrToRgb {

    /**
     * Converts pixels {@code from..to-1}: pixel {@code p}'s Y, Cb, Cr are {@code samples[3p..3p+2]}, and
     * {@code out[p]} receives it as packed {@code 0xRRGGBB}.
     */
    void convert(byte[] samples, int from, int to, int[] out);

    /** @return what this implementation is, for the start-up log */
    String description();

    /** The Vector API implementation when the JVM has loaded its module ({@link VectorModule}), else the scalar one. */
    static YCbCrToRgb fastestAvailable() {
        return choose(VectorModule.loaded());
    }

    /** Chooses between the implementations; apart from {@link #fastestAvailable()} so that tests can ask for either. */
    static YCbCrToRgb choose(boolean vectorModulePresent) {
        return VectorModule.implementation(vectorModulePresent, YCbCrToRgb.class, "VectorYCbCrToRgb", Scalar::new);
    }

    /** libjpeg's loop: one pixel at a time through its four tables. */
    final class Scalar implements YCbCrToRgb {
        private final String reason;

        Scalar(String reason) {
            this.reason = reason;
        }

        @Override
        public void convert(byte[] samples, int from, int to, int[] out) {
            for (int p = from, i = 3 * from; p < to; p++, i += 3) {
                out[p] = JpegRasterConverter.yCbCrToRgb(samples[i] & 0xFF, samples[i + 1] & 0xFF,
                        samples[i + 2] & 0xFF);
            }
        }

        @Override
        public String description() {
            return "scalar (" + reason + ")";
        }
    }
}
