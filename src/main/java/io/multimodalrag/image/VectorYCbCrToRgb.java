package io.multimodalrag.image;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link YCbCrToRgb} on the incubating Vector API, over the widest int vectors the CPU has: {@code L} pixels per
 * step with {@code L} int lanes (16 with AVX-512, 8 with AVX2). One byte vector of the same width (4L bytes) is
 * loaded from pixel {@code p}'s first sample, one shuffle gathers its L Y, L Cb and L Cr bytes into three groups
 * of lanes, and each group widens to an int vector. Then libjpeg's sums, written out instead of looked up: its
 * tables hold exactly {@code (FIX(1.402) × (Cr − 128) + ½) >> 16} for red, {@code (FIX(1.772) × (Cb − 128) + ½)
 * >> 16} for blue, and for green {@code (−FIX(0.34414) × (Cb − 128) + ½ − FIX(0.71414) × (Cr − 128)) >> 16}, so
 * the values are the scalar ones bit for bit (the tests compare all 2²⁴ inputs). The last pixels, whose load
 * would run past the array, go through the scalar loop. No method here takes or returns a vector (one passed to
 * a method the JIT does not inline would be allocated on the heap).
 */
final class VectorYCbCrToRgb implements YCbCrToRgb {

    // libjpeg's FIX(x) = (int) (x × 2¹⁶ + 0.5), written out: this class must not initialise JpegRasterConverter,
    // whose initialiser creates it.
    private static final int RED_CR = 91881;    // FIX(1.40200)
    private static final int BLUE_CB = 116130;  // FIX(1.77200)
    private static final int GREEN_CB = -22554; // −FIX(0.34414)
    private static final int GREEN_CR = -46802; // −FIX(0.71414)
    private static final int HALF = 1 << 15;

    // Constants, as the Vector API needs them to compile to vector instructions (from fields, the same code ran
    // 400 times slower).
    static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED;
    static final int LANES = INTS.length();
    static final VectorSpecies<Byte> BYTES = VectorSpecies.of(byte.class, INTS.vectorShape());
    /** Groups the three interleaved samples of L pixels; {@link VectorRgbPacker} uses it for R, G, B too. */
    static final VectorShuffle<Byte> DEINTERLEAVE = VectorShuffle.fromOp(BYTES, VectorYCbCrToRgb::sourceLane);

    private final Scalar tail = new Scalar("tail");

    /** @throws UnsupportedOperationException below 4 int lanes, no faster than the scalar loop */
    VectorYCbCrToRgb() {
        if (LANES < 4) {
            throw new UnsupportedOperationException("preferred int vector has " + LANES + " lanes");
        }
    }

    /** The shuffle: lanes 0..L-1 take the L pixels' Y bytes, then their Cb, then their Cr; the last L are unused. */
    private static int sourceLane(int lane) {
        return lane < 3 * LANES ? 3 * (lane % LANES) + lane / LANES : 0;
    }

    @Override
    public void convert(byte[] samples, int from, int to, int[] out) {
        int p = from;
        // A load takes 4L bytes from 3p, of which 3L are this step's pixels.
        for (; p + LANES <= to && 3 * p + BYTES.length() <= samples.length; p += LANES) {
            ByteVector grouped = ByteVector.fromArray(BYTES, samples, 3 * p).rearrange(DEINTERLEAVE);
            IntVector luma = ((IntVector) grouped.convertShape(VectorOperators.B2I, INTS, 0)).and(0xFF);
            IntVector cb = ((IntVector) grouped.convertShape(VectorOperators.B2I, INTS, 1)).and(0xFF).sub(128);
            IntVector cr = ((IntVector) grouped.convertShape(VectorOperators.B2I, INTS, 2)).and(0xFF).sub(128);
            IntVector red = luma.add(cr.mul(RED_CR).add(HALF).lanewise(VectorOperators.ASHR, 16)).max(0).min(255);
            IntVector green = luma.add(cb.mul(GREEN_CB).add(cr.mul(GREEN_CR)).add(HALF)
                    .lanewise(VectorOperators.ASHR, 16)).max(0).min(255);
            IntVector blue = luma.add(cb.mul(BLUE_CB).add(HALF).lanewise(VectorOperators.ASHR, 16)).max(0).min(255);
            red.lanewise(VectorOperators.LSHL, 16).or(green.lanewise(VectorOperators.LSHL, 8)).or(blue)
                    .intoArray(out, p);
        }
        tail.convert(samples, p, to, out);
    }

    @Override
    public String description() {
        return "Vector API, " + LANES + " pixels per step";
    }
}
