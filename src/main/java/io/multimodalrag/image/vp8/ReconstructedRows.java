package io.multimodalrag.image.vp8;

/**
 * The window of reconstructed pixels the loop filter works on, and the planes the finished rows go to.
 * <p>
 * It holds one macroblock row (16 luma, 8 chroma rows, the full padded width) plus the last {@link #KEPT_ROWS}
 * rows of the row above, which the next top-edge filter reads (p3) or changes (p2, p1, p0). A row of pixels is
 * copied out once nothing can change it any more, so memory beyond the output stays a few rows whatever the
 * picture's size; this is libwebp's cache with its "extra rows" ({@code kFilterExtraRows}), simplified.
 * Not part of TwelveMonkeys' decoder; written for this copy of it.
 */
final class ReconstructedRows {

    static final int KEPT_ROWS = 4;

    private final int width;
    private final int height;
    private final int chromaWidth;
    private final int chromaHeight;
    private final int yStride;
    private final int uvStride;
    private final byte[] y;
    private final byte[] u;
    private final byte[] v;
    private final byte[] outY;
    private final byte[] outU;
    private final byte[] outV;

    ReconstructedRows(int width, int height, int macroBlockCols) {
        this.width = width;
        this.height = height;
        this.chromaWidth = (width + 1) / 2;
        this.chromaHeight = (height + 1) / 2;
        this.yStride = macroBlockCols * 16;
        this.uvStride = macroBlockCols * 8;
        this.y = new byte[(KEPT_ROWS + 16) * yStride];
        this.u = new byte[(KEPT_ROWS + 8) * uvStride];
        this.v = new byte[(KEPT_ROWS + 8) * uvStride];
        this.outY = new byte[width * height];
        this.outU = new byte[chromaWidth * chromaHeight];
        this.outV = new byte[chromaWidth * chromaHeight];
    }

    byte[] y() {
        return y;
    }

    byte[] u() {
        return u;
    }

    byte[] v() {
        return v;
    }

    int yStride() {
        return yStride;
    }

    int uvStride() {
        return uvStride;
    }

    /** Index of the top-left luma sample of the current row's macroblock in column {@code mbCol}. */
    int yOrigin(int mbCol) {
        return KEPT_ROWS * yStride + mbCol * 16;
    }

    /** Index of the top-left chroma sample of the current row's macroblock in column {@code mbCol}. */
    int uvOrigin(int mbCol) {
        return KEPT_ROWS * uvStride + mbCol * 8;
    }

    /** Copies a reconstructed (unfiltered) macroblock of the current row into the window. */
    void put(MacroBlock macroBlock, int mbCol) {
        int yOrigin = yOrigin(mbCol);
        for (int j = 0; j < 4; j++) {
            for (int i = 0; i < 4; i++) {
                copy(macroBlock.getYSubBlock(i, j).getDest(), y, yOrigin + j * 4 * yStride + i * 4, yStride);
            }
        }
        int uvOrigin = uvOrigin(mbCol);
        for (int j = 0; j < 2; j++) {
            for (int i = 0; i < 2; i++) {
                int at = uvOrigin + j * 4 * uvStride + i * 4;
                copy(macroBlock.getUSubBlock(i, j).getDest(), u, at, uvStride);
                copy(macroBlock.getVSubBlock(i, j).getDest(), v, at, uvStride);
            }
        }
    }

    /** A sub-block's samples, indexed [x][y] as TwelveMonkeys keeps them. */
    private static void copy(int[][] block, byte[] plane, int at, int stride) {
        for (int row = 0; row < 4; row++) {
            for (int column = 0; column < 4; column++) {
                plane[at + row * stride + column] = (byte) block[column][row];
            }
        }
    }

    /**
     * Copies out the rows the current macroblock row's filtering has made final (all of them after the last
     * row) and keeps the rest for the next row's top-edge filter.
     */
    void finishRow(int mbRow, boolean last) {
        int firstKept = mbRow == 0 ? KEPT_ROWS : 0;
        emit(y, yStride, firstKept, last ? KEPT_ROWS + 16 : 16, mbRow * 16 - KEPT_ROWS, outY, width, height);
        emit(u, uvStride, firstKept, last ? KEPT_ROWS + 8 : 8, mbRow * 8 - KEPT_ROWS, outU, chromaWidth, chromaHeight);
        emit(v, uvStride, firstKept, last ? KEPT_ROWS + 8 : 8, mbRow * 8 - KEPT_ROWS, outV, chromaWidth, chromaHeight);
        System.arraycopy(y, 16 * yStride, y, 0, KEPT_ROWS * yStride);
        System.arraycopy(u, 8 * uvStride, u, 0, KEPT_ROWS * uvStride);
        System.arraycopy(v, 8 * uvStride, v, 0, KEPT_ROWS * uvStride);
    }

    /** Window rows [from, to) to the picture rows starting at {@code firstRow + from}, cropped to the picture. */
    private static void emit(byte[] window, int stride, int from, int to, int firstRow, byte[] out, int outWidth,
                             int outHeight) {
        for (int row = from; row < to; row++) {
            int pictureRow = firstRow + row;
            if (pictureRow >= outHeight) {
                break;
            }
            System.arraycopy(window, row * stride, out, pictureRow * outWidth, outWidth);
        }
    }

    YuvPlanes planes() {
        return new YuvPlanes(width, height, outY, outU, outV);
    }
}
