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
 *   <li><b>Horizontal</b>: a vector holds one tap of as many adjacent output samples as it has lanes: each lane
 *       gathers its sample's source pixel for that tap and multiplies it by its weight (zero past the sample's last
 *       tap), so a group of samples takes one gather and three multiply-adds per tap and is stored whole, with no
 *       sum across lanes (three such reductions per sample made up nine tenths of the pass before). Columns past the
 *       last whole group, and a last row whose gathers would run past the image, are done the scalar way.</li>
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
    public HorizontalPass horizontalPass(Coefficients columns) {
        return new GroupedColumns(columns);
    }

    /** The taps of each group of {@code LANES} output columns, transposed once: lane i holds column i's weight. */
    private static final class GroupedColumns implements HorizontalPass {
        private final Coefficients columns;
        private final int groups;
        /** Per group, the taps its longest column has: the group runs that many. */
        private final int[] groupTaps;
        /** Per group and tap, LANES weights, zero past a column's last tap. */
        private final int[] transposed;
        /** Past the furthest pixel a group's loads touch, from the row's start. */
        private final int reach;

        GroupedColumns(Coefficients columns) {
            this.columns = columns;
            int[] starts = columns.starts();
            int[] sizes = columns.sizes();
            int stride = columns.stride();
            this.groups = columns.count() / LANES;
            this.groupTaps = new int[groups];
            this.transposed = new int[groups * stride * LANES];
            int furthest = 0;
            for (int group = 0; group < groups; group++) {
                for (int lane = 0; lane < LANES; lane++) {
                    int column = group * LANES + lane;
                    groupTaps[group] = Math.max(groupTaps[group], sizes[column]);
                    for (int tap = 0; tap < sizes[column]; tap++) {
                        transposed[(group * stride + tap) * LANES + lane] =
                                columns.weights()[columns.weightIndex(column) + tap];
                    }
                }
                for (int lane = 0; lane < LANES; lane++) {
                    furthest = Math.max(furthest, starts[group * LANES + lane] + groupTaps[group]);
                }
            }
            this.reach = furthest;
        }

        @Override
        public void run(int[] pixels, int width, int firstRow, int endRow, int[] out, int outOffset, int plane) {
            int outWidth = columns.count();
            int[] starts = columns.starts();
            int[] sizes = columns.sizes();
            int stride = columns.stride();
            for (int y = firstRow, o = outOffset; y < endRow; y++, o += outWidth) {
                int rowStart = y * width;
                int column = 0;
                if (rowStart + reach <= pixels.length) {
                    for (int group = 0; group < groups; group++, column += LANES) {
                        IntVector reds = IntVector.broadcast(SPECIES, PillowBicubicResampler.HALF);
                        IntVector greens = reds;
                        IntVector blues = reds;
                        for (int tap = 0, w = group * stride * LANES; tap < groupTaps[group]; tap++, w += LANES) {
                            // Lane i: the pixel at column i's start + tap.
                            IntVector pixel = IntVector.fromArray(SPECIES, pixels, rowStart + tap, starts, column);
                            IntVector weight = IntVector.fromArray(SPECIES, transposed, w);
                            reds = reds.add(pixel.lanewise(VectorOperators.LSHR, 16).and(0xFF).mul(weight));
                            greens = greens.add(pixel.lanewise(VectorOperators.LSHR, 8).and(0xFF).mul(weight));
                            blues = blues.add(pixel.and(0xFF).mul(weight));
                        }
                        reds.lanewise(VectorOperators.ASHR, PillowBicubicResampler.PRECISION_BITS).max(0).min(255)
                                .intoArray(out, o + column);
                        greens.lanewise(VectorOperators.ASHR, PillowBicubicResampler.PRECISION_BITS).max(0).min(255)
                                .intoArray(out, plane + o + column);
                        blues.lanewise(VectorOperators.ASHR, PillowBicubicResampler.PRECISION_BITS).max(0).min(255)
                                .intoArray(out, 2 * plane + o + column);
                    }
                }
                for (; column < outWidth; column++) {
                    // Columns past the last whole group, and a last row whose loads would run past the array.
                    ScalarResampleKernel.horizontalSample(pixels, rowStart + starts[column], sizes[column],
                            columns.weights(), columns.weightIndex(column), out, o + column, plane);
                }
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
