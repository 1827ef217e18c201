package io.multimodalrag.image;

import io.multimodalrag.image.vp8.YuvPlanes;

/**
 * Converts 4:2:0 planes to RGB exactly as libwebp's default decoder does (what Pillow shows): "fancy upsampling"
 * interpolates each chroma sample with weights 9/16, 3/16, 3/16, 1/16 from the four nearest chroma samples
 * ({@code src/dsp/upsampling.c}, {@code UPSAMPLE_FUNC}), then libwebp's 14-bit fixed-point BT.601 limited-range
 * conversion ({@code src/dsp/yuv.h}, {@code VP8YUVToR/G/B}). The integer rounding follows libwebp step by step;
 * its SIMD versions are bit-exact with the C code transcribed here.
 */
final class LibwebpUpsampler {

    /** libwebp's YUV_FIX2: the conversion keeps 6 fractional bits before clipping. */
    private static final int FRACTION_BITS = 6;
    private static final int CLIP_MASK = (256 << FRACTION_BITS) - 1;

    private LibwebpUpsampler() {
    }

    /** Writes packed 0xRRGGBB pixels, row-major, into {@code out} ({@code width × height} long). */
    static void toRgb(YuvPlanes planes, int[] out) {
        int width = planes.width();
        int height = planes.height();
        int chromaWidth = planes.chromaWidth();
        int lastChromaRow = planes.chromaHeight() - 1;
        int[] u = new int[width];
        int[] v = new int[width];
        for (int row = 0; row < height; row++) {
            // Luma row 2k-1 lies a quarter of a chroma row below chroma row k-1, luma row 2k a quarter above row k;
            // the first and (for even heights) last rows have only one chroma row, which libwebp mirrors.
            int near = (row + 1) / 2 - (row % 2 == 1 ? 1 : 0);
            int far = row % 2 == 1 ? near + 1 : near - 1;
            far = Math.max(0, Math.min(lastChromaRow, far));
            upsampleRow(planes.u(), near * chromaWidth, far * chromaWidth, width, u);
            upsampleRow(planes.v(), near * chromaWidth, far * chromaWidth, width, v);
            int offset = row * width;
            for (int x = 0; x < width; x++) {
                out[offset + x] = rgb(planes.y()[offset + x] & 0xFF, u[x], v[x]);
            }
        }
    }

    /**
     * One full-width chroma row for a luma row whose nearer chroma row starts at {@code near} and farther one at
     * {@code far}: libwebp's per-pixel-pair "diagonal" formulation of the 9-3-3-1 filter.
     */
    private static void upsampleRow(byte[] plane, int near, int far, int width, int[] out) {
        int topLeft = plane[near] & 0xFF;
        int left = plane[far] & 0xFF;
        out[0] = (3 * topLeft + left + 2) >> 2;
        int lastPair = (width - 1) >> 1;
        for (int x = 1; x <= lastPair; x++) {
            int top = plane[near + x] & 0xFF;
            int current = plane[far + x] & 0xFF;
            int average = topLeft + top + left + current + 8;
            int diagonal12 = (average + 2 * (top + left)) >> 3;
            int diagonal03 = (average + 2 * (topLeft + current)) >> 3;
            out[2 * x - 1] = (diagonal12 + topLeft) >> 1;
            out[2 * x] = (diagonal03 + top) >> 1;
            topLeft = top;
            left = current;
        }
        if ((width & 1) == 0) {
            out[width - 1] = (3 * topLeft + left + 2) >> 2;
        }
    }

    static int rgb(int y, int u, int v) {
        int luma = multiplyHigh(y, 19077);
        int red = clip(luma + multiplyHigh(v, 26149) - 14234);
        int green = clip(luma - multiplyHigh(u, 6419) - multiplyHigh(v, 13320) + 8708);
        int blue = clip(luma + multiplyHigh(u, 33050) - 17685);
        return red << 16 | green << 8 | blue;
    }

    private static int multiplyHigh(int value, int coefficient) {
        return (value * coefficient) >> 8;
    }

    private static int clip(int value) {
        if ((value & ~CLIP_MASK) == 0) {
            return value >> FRACTION_BITS;
        }
        return value < 0 ? 0 : 255;
    }
}
