package io.multimodalrag.clip;

import io.multimodalrag.clip.PillowBicubicResampler.Coefficients;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The passes on the incubating Vector API, over the widest int vectors the CPU has (16 lanes with AVX-512, 8 with
 * AVX2). Linked against {@code jdk.incubator.vector}, so only {@link ResampleKernel#fastestAvailable()} creates it,
 * by name, once it has seen that the module is loaded.
 * <ul>
 *   <li><b>Horizontal</b>: one output sample's taps are consecutive source pixels, so they are loaded as one vector
 *       (two or more for strong downscales), split into red, green and blue lanes, multiplied by the tap weights
 *       (zero past the last tap) and summed across lanes. Loading whole vectors reads a little past the last tap,
 *       into the next row at the right edge, which the zero weights cancel; only where a vector would run past the
 *       end of the image does a sample fall back to the scalar loop.</li>
 *   <li><b>Vertical</b>: one output row is a weighted sum of whole source rows, so a vector of adjacent columns
 *       takes one multiply-add per tap; columns beyond the last whole vector are done one by one.</li>
 * </ul>
 * Integer sums give the same result in any order, so the values are the scalar kernel's, bit for bit. No method here
 * takes or returns a vector: one passed to a method the JIT does not inline would be allocated on the heap.
 */
final class VectorResampleKernel implements ResampleKernel {

    private static final VectorSpecies<Integer> SPECIES = IntVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();

    /** @throws UnsupportedOperationException if int vectors have fewer than 4 lanes, no faster than scalar code */
    VectorResampleKernel() {
        if (LANES < 4) {
            throw new UnsupportedOperationException("preferred int vector has " + LANES + " lanes");
        }
    }

    @Override
    public void horizontal(int[] pixels, int width, int firstRow, int endRow, Coefficients columns, int[] out,
                           int outOffset, int plane) {
        int outWidth = columns.count();
        // The weights again, each column's padded with zeros to whole vectors.
        int stride = (columns.stride() + LANES - 1) / LANES * LANES;
        int[] padded = new int[outWidth * stride];
        for (int column = 0; column < outWidth; column++) {
            System.arraycopy(columns.weights(), columns.weightIndex(column), padded, column * stride, columns.size(column));
        }
        int[] starts = columns.starts();
        int[] sizes = columns.sizes();
        for (int y = firstRow, o = outOffset; y < endRow; y++) {
            int rowStart = y * width;
            for (int column = 0; column < outWidth; column++, o++) {
                int source = rowStart + starts[column];
                int taps = sizes[column];
                int weightIndex = column * stride;
                if (source + (taps + LANES - 1) / LANES * LANES > pixels.length) {
                    // A whole vector would run past the image: this pixel the scalar way.
                    ScalarResampleKernel.horizontalSample(pixels, source, taps, padded, weightIndex, out, o, plane);
                    continue;
                }
                IntVector reds = IntVector.zero(SPECIES);
                IntVector greens = IntVector.zero(SPECIES);
                IntVector blues = IntVector.zero(SPECIES);
                for (int tap = 0; tap < taps; tap += LANES) {
                    IntVector pixel = IntVector.fromArray(SPECIES, pixels, source + tap);
                    IntVector weight = IntVector.fromArray(SPECIES, padded, weightIndex + tap);
                    reds = reds.add(pixel.lanewise(VectorOperators.LSHR, 16).and(0xFF).mul(weight));
                    greens = greens.add(pixel.lanewise(VectorOperators.LSHR, 8).and(0xFF).mul(weight));
                    blues = blues.add(pixel.and(0xFF).mul(weight));
                }
                out[o] = PillowBicubicResampler.clip8(PillowBicubicResampler.HALF + reds.reduceLanes(VectorOperators.ADD));
                out[plane + o] = PillowBicubicResampler.clip8(
                        PillowBicubicResampler.HALF + greens.reduceLanes(VectorOperators.ADD));
                out[2 * plane + o] = PillowBicubicResampler.clip8(
                        PillowBicubicResampler.HALF + blues.reduceLanes(VectorOperators.ADD));
            }
        }
    }

    @Override
    public void verticalRow(int[] stripe, int first, int width, int taps, int[] weights, int weightIndex, int[] out,
                            int o) {
        int x = 0;
        for (int vectorEnd = SPECIES.loopBound(width); x < vectorEnd; x += LANES) {
            IntVector sum = IntVector.broadcast(SPECIES, PillowBicubicResampler.HALF);
            for (int tap = 0, source = first + x; tap < taps; tap++, source += width) {
                sum = sum.add(IntVector.fromArray(SPECIES, stripe, source).mul(weights[weightIndex + tap]));
            }
            sum.lanewise(VectorOperators.ASHR, PillowBicubicResampler.PRECISION_BITS).max(0).min(255)
                    .intoArray(out, o + x);
        }
        for (; x < width; x++) {
            out[o + x] = ScalarResampleKernel.verticalSample(stripe, first + x, width, taps, weights, weightIndex);
        }
    }

    @Override
    public String description() {
        return "Vector API, " + LANES + " int lanes";
    }
}
