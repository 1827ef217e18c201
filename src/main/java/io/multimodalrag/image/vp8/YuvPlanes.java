package io.multimodalrag.image.vp8;

/**
 * A decoded VP8 picture as 4:2:0 planes: full-size luma and half-size (rounded up) chroma, one unsigned byte per
 * sample, row-major without padding.
 *
 * @param width  luma width in pixels
 * @param height luma height in pixels
 * @param y      luma, {@code width × height} samples
 * @param u      Cb, {@link #chromaWidth()} × {@link #chromaHeight()} samples
 * @param v      Cr, same size as {@code u}
 */
public record YuvPlanes(int width, int height, byte[] y, byte[] u, byte[] v) {

    public YuvPlanes {
        int chroma = ((width + 1) / 2) * ((height + 1) / 2);
        if (y.length != width * height || u.length != chroma || v.length != chroma) {
            throw new IllegalArgumentException("plane sizes do not fit a " + width + "×" + height + " 4:2:0 picture");
        }
    }

    public int chromaWidth() {
        return (width + 1) / 2;
    }

    public int chromaHeight() {
        return (height + 1) / 2;
    }
}
