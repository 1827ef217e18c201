package io.multimodalrag.clip;

import io.multimodalrag.clip.PillowBicubicResampler.Coefficients;
import io.multimodalrag.vector.VectorModule;

/**
 * The two passes of {@link PillowBicubicResampler}, the innermost loops of image preprocessing. Both passes sum
 * integers, which give the same result in any order, so every implementation produces Pillow's values exactly; they
 * differ only in speed.
 *
 * <p>Two implementations exist: {@link ScalarResampleKernel}, plain Java that any JVM runs, and
 * {@code VectorResampleKernel}, on the incubating Vector API. The latter links against {@code jdk.incubator.vector},
 * which the JVM loads only when started with {@code --add-modules=jdk.incubator.vector} (the container images,
 * {@code quarkus:dev} and the tests add it); nothing refers to it by name except {@link #fastestAvailable()}, which
 * creates it through {@link VectorModule} when the module is there. (HotSpot's automatic vectorisation does not help
 * here: on JDK 17 it leaves a loop scalar when its loads and stores start at different variable offsets, which is
 * what both passes need.)
 */
interface ResampleKernel {

    /**
     * Resample.c's {@code ImagingResampleHorizontal_8bpc} on rows {@code firstRow..endRow-1}.
     *
     * @param pixels  the source image, packed {@code 0xRRGGBB}, row-major, {@code width} per row
     * @param columns the taps of each output column
     * @param out     receives three row-major planes (red, green, blue) of {@code (endRow - firstRow) × columns.count()}
     */
    default void horizontal(int[] pixels, int width, int firstRow, int endRow, Coefficients columns, int[] out) {
        horizontal(pixels, width, firstRow, endRow, columns, out, 0, (endRow - firstRow) * columns.count());
    }

    /**
     * The same into part of a larger stripe, so that two threads can each do some of its rows: row {@code y}'s
     * samples go to {@code out[outOffset + (y - firstRow) × columns.count() + column]}, green and blue
     * {@code plane} and {@code 2 × plane} further on.
     */
    default void horizontal(int[] pixels, int width, int firstRow, int endRow, Coefficients columns, int[] out,
                            int outOffset, int plane) {
        horizontalPass(columns).run(pixels, width, firstRow, endRow, out, outOffset, plane);
    }

    /**
     * The horizontal pass for {@code columns}, made ready once for many calls on a few rows each (an image's rows
     * as they are decoded): the vector kernel lays the taps out per group of lanes here rather than per call.
     */
    HorizontalPass horizontalPass(Coefficients columns);

    /** {@link #horizontal(int[], int, int, int, Coefficients, int[], int, int)} with its columns fixed; thread-safe. */
    @FunctionalInterface
    interface HorizontalPass {
        void run(int[] pixels, int width, int firstRow, int endRow, int[] out, int outOffset, int plane);
    }

    /**
     * Resample.c's {@code ImagingResampleVertical_8bpc} on output rows {@code fromRow..toRow-1}; calls for disjoint
     * rows write disjoint parts of {@code out}.
     *
     * @param stripe   three row-major planes of {@code stripeRows × width} samples; its first row is source row
     *                 {@code firstRow}
     * @param rows     the taps of each output row, in source row numbers
     * @param out      receives three row-major planes of {@code rows.count() × width}
     */
    default void vertical(int[] stripe, int width, int stripeRows, int firstRow, Coefficients rows, int fromRow,
                          int toRow, int[] out) {
        int inPlane = stripeRows * width;
        int outPlane = rows.count() * width;
        for (int channel = 0; channel < 3; channel++) {
            for (int row = fromRow; row < toRow; row++) {
                verticalRow(stripe, channel * inPlane + (rows.start(row) - firstRow) * width, width, rows.size(row),
                        rows.weights(), rows.weightIndex(row), out, channel * outPlane + row * width);
            }
        }
    }

    /**
     * One output row of one channel of the vertical pass: {@code out[o + x]}, for x below {@code width}, is the sum
     * of {@code taps} stripe samples a row ({@code width}) apart from {@code stripe[first + x]}, weighted by
     * {@code weights} from {@code weightIndex}, clipped to 8 bits.
     */
    void verticalRow(int[] stripe, int first, int width, int taps, int[] weights, int weightIndex, int[] out, int o);

    /** @return what this kernel is, for the start-up log: its vector width, or why it is the scalar one */
    String description();

    /** Returns the Vector API kernel when the JVM has loaded its module ({@link VectorModule}), else the scalar one. */
    static ResampleKernel fastestAvailable() {
        return choose(VectorModule.loaded());
    }

    /** Chooses between the kernels; apart from {@link #fastestAvailable()} so that tests can ask for either. */
    static ResampleKernel choose(boolean vectorModulePresent) {
        return VectorModule.implementation(vectorModulePresent, ResampleKernel.class, "VectorResampleKernel",
                ScalarResampleKernel::new);
    }
}
