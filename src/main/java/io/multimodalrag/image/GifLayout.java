package io.multimodalrag.image;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.awt.image.WritableRaster;
import java.util.Arrays;
import java.util.Optional;

/**
 * Where a GIF's first frame sits on its canvas. ImageIO returns only the frame's own rectangle; Pillow (CLIP's
 * reference decoder) returns the whole logical screen, grown to hold the frame if it sticks out, so we place the
 * frame the same way.
 *
 * @param canvasWidth  logical screen width, widened to include the frame
 * @param canvasHeight logical screen height, heightened to include the frame
 * @param frameLeft    frame position on the canvas
 * @param frameTop     frame position on the canvas
 */
record GifLayout(int canvasWidth, int canvasHeight, int frameLeft, int frameTop) {

    private static final int EXTENSION = 0x21;
    private static final int IMAGE_DESCRIPTOR = 0x2C;

    /** The layout of the first frame, or empty if the block structure cannot be followed (the reader will decide). */
    static Optional<GifLayout> scan(byte[] bytes) {
        if (bytes.length < 13) {
            return Optional.empty();
        }
        int screenWidth = u16(bytes, 6);
        int screenHeight = u16(bytes, 8);
        int flags = bytes[10] & 0xFF;
        int position = 13;
        if ((flags & 0x80) != 0) {
            position += 3 << ((flags & 0x07) + 1); // global colour table
        }
        while (position < bytes.length) {
            int block = bytes[position] & 0xFF;
            if (block == IMAGE_DESCRIPTOR) {
                if (position + 9 >= bytes.length) {
                    return Optional.empty();
                }
                int left = u16(bytes, position + 1);
                int top = u16(bytes, position + 3);
                int width = u16(bytes, position + 5);
                int height = u16(bytes, position + 7);
                return Optional.of(new GifLayout(Math.max(screenWidth, left + width),
                        Math.max(screenHeight, top + height), left, top));
            }
            if (block != EXTENSION || position + 2 >= bytes.length) {
                return Optional.empty();
            }
            position += 2; // introducer and label, then data sub-blocks up to a zero-length one
            while (position < bytes.length && bytes[position] != 0) {
                position += 1 + (bytes[position] & 0xFF);
            }
            position++;
        }
        return Optional.empty();
    }

    /**
     * The frame drawn on its canvas. Pillow fills the canvas with the frame's transparent index, or with index 0
     * when it has none, so the uncovered area becomes white (after compositing) or palette colour 0.
     */
    BufferedImage placeOnCanvas(BufferedImage frame) {
        boolean coversCanvas = frameLeft == 0 && frameTop == 0
                && frame.getWidth() == canvasWidth && frame.getHeight() == canvasHeight;
        if (coversCanvas || !(frame.getColorModel() instanceof IndexColorModel palette)) {
            return frame;
        }
        WritableRaster canvas = palette.createCompatibleWritableRaster(canvasWidth, canvasHeight);
        int[] fill = new int[canvasWidth];
        Arrays.fill(fill, Math.max(palette.getTransparentPixel(), 0));
        for (int y = 0; y < canvasHeight; y++) {
            canvas.setSamples(0, y, canvasWidth, 1, 0, fill);
        }
        canvas.setRect(frameLeft, frameTop, frame.getRaster());
        return new BufferedImage(palette, canvas, false, null);
    }

    private static int u16(byte[] bytes, int offset) {
        return (bytes[offset] & 0xFF) | (bytes[offset + 1] & 0xFF) << 8;
    }
}
