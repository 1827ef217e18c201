package io.multimodalrag.image;

/**
 * libjpeg's YCbCr → RGB conversion ({@code jdcolor.c}, fixed point with 16 fraction bits, identical in
 * libjpeg-turbo and so in Pillow) over interleaved Y, Cb, Cr bytes, the innermost loop of JPEG decoding: half of
 * a photo's decode time when done one pixel at a time (measured 3.1 ns per pixel on the demo photos).
 *
 * <p>Two implementations give the same values: {@link Scalar}, libjpeg's table lookups, and
 * {@code VectorYCbCrToRgb}, the same arithmetic on the incubating Vector API, which only
 * {@link #fastestAvailable()} creates, by name, after checking that the JVM loaded {@value #VECTOR_MODULE} (as the
 * resampling and search kernels do).
 */
interface YCbCrToRgb {

    /** The module holding the Vector API, an incubator module on JDK 17 to 25. */
    String VECTOR_MODULE = "jdk.incubator.vector";

    /**
     * Converts pixels {@code from..to-1}: pixel {@code p}'s Y, Cb, Cr are {@code samples[3p..3p+2]}, and
     * {@code out[p]} receives it as packed {@code 0xRRGGBB}.
     */
    void convert(byte[] samples, int from, int to, int[] out);

    /** @return what this implementation is, for the start-up log */
    String description();

    /** The Vector API implementation when the JVM has loaded {@value #VECTOR_MODULE}, else the scalar one. */
    static YCbCrToRgb fastestAvailable() {
        return choose(ModuleLayer.boot().findModule(VECTOR_MODULE).isPresent());
    }

    /** Chooses between the implementations; apart from {@link #fastestAvailable()} so that tests can ask for either. */
    static YCbCrToRgb choose(boolean vectorModulePresent) {
        if (!vectorModulePresent) {
            return new Scalar("the JVM was started without --add-modules=" + VECTOR_MODULE);
        }
        try {
            // By name, so that no class linked without the module refers to the Vector API.
            return (YCbCrToRgb) Class.forName(YCbCrToRgb.class.getPackageName() + ".VectorYCbCrToRgb")
                    .getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError | UnsupportedOperationException e) {
            return new Scalar("the Vector API kernel failed to load: " + e);
        }
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
