package io.multimodalrag.image;

import io.multimodalrag.vector.VectorModule;

/**
 * Interleaved R, G, B bytes (libjpeg's RGB output) to packed {@code 0xRRGGBB} ints, the step between the streamed JPEG
 * decoder's rows and the resize ({@link JpegRowStream}). Two implementations give the same values: {@link Scalar},
 * and {@code VectorRgbPacker} on the incubating Vector API, which only {@link #fastestAvailable()} creates, through
 * {@link VectorModule}, when the JVM has the module.
 */
interface RgbPacker {

    /** Packs {@code count} pixels: pixel i's samples are {@code rgb[3 (from + i) ..]}, it goes to {@code out[at + i]}. */
    void pack(byte[] rgb, int from, int count, int[] out, int at);

    /** @return what this implementation is, for the start-up log */
    String description();

    static RgbPacker fastestAvailable() {
        return choose(VectorModule.loaded());
    }

    /** Chooses between the implementations; apart from {@link #fastestAvailable()} so that tests can ask for either. */
    static RgbPacker choose(boolean vectorModulePresent) {
        return VectorModule.implementation(vectorModulePresent, RgbPacker.class, "VectorRgbPacker", Scalar::new);
    }

    /** One pixel at a time. */
    final class Scalar implements RgbPacker {
        private final String reason;

        Scalar(String reason) {
            this.reason = reason;
        }

        @Override
        public void pack(byte[] rgb, int from, int count, int[] out, int at) {
            for (int i = 0, s = 3 * from; i < count; i++, s += 3) {
                out[at + i] = (rgb[s] & 0xFF) << 16 | (rgb[s + 1] & 0xFF) << 8 | (rgb[s + 2] & 0xFF);
            }
        }

        @Override
        public String description() {
            return "scalar (" + reason + ")";
        }
    }
}
