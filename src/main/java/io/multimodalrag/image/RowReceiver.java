package io.multimodalrag.image;

/**
 * Takes an image's rows while the decoder is still producing later ones ({@link ImageDecoder#decodeRows}), so that
 * the next stage (the CLIP resize) overlaps decoding instead of waiting for the whole picture.
 */
public interface RowReceiver {

    /** The rows {@code firstRow..endRow-1} and columns {@code firstColumn..endColumn-1} that the receiver reads. */
    record Region(int firstRow, int endRow, int firstColumn, int endColumn) {
    }

    /**
     * Called once, on the decoding thread, before any row, with the size of the upright image; returns the part
     * of it the receiver needs. Pixels outside that region are never converted or handed over.
     */
    Region begin(int width, int height);

    /**
     * Rows {@code from..to-1} of the region: pixel (x, y) for the region's columns is {@code pixels[(y - from) × width
     * + x]}, packed {@code 0xRRGGBB}; other columns hold nothing meaningful, and {@code pixels} is reused after the
     * call. The calls cover the region's rows exactly once in disjoint ranges, in no fixed order, and two of them
     * may run at the same time on different threads; all have returned when {@code decodeRows} returns.
     */
    void rows(int[] pixels, int width, int from, int to);
}
