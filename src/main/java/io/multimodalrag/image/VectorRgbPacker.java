package io.multimodalrag.image;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link RgbPacker} on the incubating Vector API, {@code L} pixels per step with {@code L} int lanes (16 with
 * AVX-512): one byte vector of 4L bytes from the step's first sample, one shuffle that groups its L red, L green and
 * L blue bytes ({@link VectorYCbCrToRgb}'s, which groups Y, Cb and Cr the same way), three widenings and two
 * shifts. The last pixels,
 * whose load would run past the array, go through the scalar loop. No method here takes or returns a vector.
 */
final class VectorRgbPacker implements RgbPacker {

    // The colour conversion's constants (its species and its shuffle, which groups any three interleaved bytes).
    private static final VectorSpecies<Integer> INTS = VectorYCbCrToRgb.INTS;
    private static final int LANES = VectorYCbCrToRgb.LANES;
    private static final VectorSpecies<Byte> BYTES = VectorYCbCrToRgb.BYTES;
    private static final VectorShuffle<Byte> DEINTERLEAVE = VectorYCbCrToRgb.DEINTERLEAVE;

    private final Scalar tail = new Scalar("tail");

    /** @throws UnsupportedOperationException below 4 int lanes, no faster than the scalar loop */
    VectorRgbPacker() {
        if (LANES < 4) {
            throw new UnsupportedOperationException("preferred int vector has " + LANES + " lanes");
        }
    }

    @Override
    public void pack(byte[] rgb, int from, int count, int[] out, int at) {
        int i = 0;
        for (; i + LANES <= count && 3 * (from + i) + BYTES.length() <= rgb.length; i += LANES) {
            ByteVector grouped = ByteVector.fromArray(BYTES, rgb, 3 * (from + i)).rearrange(DEINTERLEAVE);
            IntVector red = ((IntVector) grouped.convertShape(VectorOperators.B2I, INTS, 0)).and(0xFF);
            IntVector green = ((IntVector) grouped.convertShape(VectorOperators.B2I, INTS, 1)).and(0xFF);
            IntVector blue = ((IntVector) grouped.convertShape(VectorOperators.B2I, INTS, 2)).and(0xFF);
            red.lanewise(VectorOperators.LSHL, 16).or(green.lanewise(VectorOperators.LSHL, 8)).or(blue)
                    .intoArray(out, at + i);
        }
        tail.pack(rgb, from + i, count - i, out, at + i);
    }

    @Override
    public String description() {
        return "Vector API, " + LANES + " pixels per step";
    }
}
