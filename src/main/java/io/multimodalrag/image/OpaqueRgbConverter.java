package io.multimodalrag.image;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferInt;
import java.awt.image.DirectColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;

/**
 * Turns whatever an ImageIO reader produced into an opaque {@code TYPE_INT_RGB} image, the way CLIP's reference
 * pipeline (Pillow) sees the file:
 * <ul>
 *   <li>samples are taken as stored, without colour management: Pillow ignores ICC profiles, and Java would
 *       otherwise push grey through its linear-grey colour space and brighten or darken it;</li>
 *   <li>grey is replicated into R = G = B;</li>
 *   <li>16-bit samples become round(v / 257), other depths round(v × 255 / max);</li>
 *   <li>alpha is composited over white: round((c × a + 255 × (255 − a)) / 255).</li>
 * </ul>
 * Rows are read in bulk from the raster; only exotic colour models fall back to colour-managed {@code getRGB}.
 */
final class OpaqueRgbConverter {

    private static final int MAX_SAMPLE_BITS = 16;

    /** EIGHT_BIT_TABLES[n][v] = round(v × 255 / (2ⁿ − 1)), which for 16 bits is round(v / 257); 512 KiB in all. */
    private static final int[][] EIGHT_BIT_TABLES = new int[MAX_SAMPLE_BITS + 1][];

    static {
        for (int bits = 1; bits <= MAX_SAMPLE_BITS; bits++) {
            int max = (1 << bits) - 1;
            int[] table = new int[max + 1];
            for (int v = 0; v <= max; v++) {
                table[v] = (int) ((v * 255L * 2 + max) / (2L * max));
            }
            EIGHT_BIT_TABLES[bits] = table;
        }
    }

    private OpaqueRgbConverter() {
    }

    static BufferedImage convert(BufferedImage source) {
        int width = source.getWidth();
        int height = source.getHeight();
        BufferedImage target = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        int[] out = ((DataBufferInt) target.getRaster().getDataBuffer()).getData();
        ColorModel colorModel = source.getColorModel();
        Raster raster = source.getRaster();

        if (colorModel instanceof IndexColorModel indexed) {
            fromIndexed(indexed, raster, out);
        } else if (isPlainComponentModel(colorModel)) {
            fromComponents(colorModel, raster, out);
        } else if (colorModel instanceof DirectColorModel direct && isPlainRgb(direct)) {
            fromComponents(direct, raster, out);
        } else {
            fromColourManagedArgb(source, out);
        }
        return target;
    }

    /** Composites one 8-bit colour sample with 8-bit alpha over white; 255 is odd, so there are no ties to break. */
    static int overWhite(int colour, int alpha) {
        return (colour * alpha + 255 * (255 - alpha) + 127) / 255;
    }

    private static boolean isPlainComponentModel(ColorModel colorModel) {
        if (!(colorModel instanceof ComponentColorModel) || colorModel.isAlphaPremultiplied()) {
            return false;
        }
        int transferType = colorModel.getTransferType();
        if (transferType != DataBuffer.TYPE_BYTE && transferType != DataBuffer.TYPE_USHORT) {
            return false;
        }
        int colourType = colorModel.getColorSpace().getType();
        int colours = colorModel.getNumColorComponents();
        return (colourType == ColorSpace.TYPE_GRAY && colours == 1) || (colourType == ColorSpace.TYPE_RGB && colours == 3);
    }

    private static boolean isPlainRgb(DirectColorModel colorModel) {
        if (colorModel.isAlphaPremultiplied() || colorModel.getColorSpace().getType() != ColorSpace.TYPE_RGB) {
            return false;
        }
        for (int size : colorModel.getComponentSize()) {
            if (size < 1 || size > MAX_SAMPLE_BITS) {
                return false;
            }
        }
        return true;
    }

    private static void fromIndexed(IndexColorModel colorModel, Raster raster, int[] out) {
        int width = raster.getWidth();
        int height = raster.getHeight();
        // Out-of-range indices (possible in damaged GIFs) read as black rather than failing.
        int[] palette = new int[Math.max(colorModel.getMapSize(), 1 << Math.min(colorModel.getPixelSize(), 16))];
        for (int i = 0; i < colorModel.getMapSize(); i++) {
            int argb = colorModel.getRGB(i);
            int alpha = argb >>> 24;
            palette[i] = overWhite(argb >> 16 & 0xFF, alpha) << 16 | overWhite(argb >> 8 & 0xFF, alpha) << 8
                    | overWhite(argb & 0xFF, alpha);
        }
        int[] row = new int[width];
        for (int y = 0; y < height; y++) {
            raster.getSamples(0, y, width, 1, 0, row);
            int offset = y * width;
            for (int x = 0; x < width; x++) {
                out[offset + x] = palette[row[x]];
            }
        }
    }

    /**
     * Component and packed colour models: bands are the colour components (1 grey or 3 RGB) followed by alpha,
     * and {@link Raster#getPixels} unpacks both layouts into one int per sample.
     */
    private static void fromComponents(ColorModel colorModel, Raster raster, int[] out) {
        int width = raster.getWidth();
        int height = raster.getHeight();
        int bands = raster.getNumBands();
        int colours = colorModel.getNumColorComponents();
        boolean alpha = colorModel.hasAlpha();
        int[][] toEightBits = new int[bands][];
        for (int band = 0; band < bands; band++) {
            toEightBits[band] = EIGHT_BIT_TABLES[colorModel.getComponentSize(band)];
        }
        int[] grey = toEightBits[0];
        int[] red = toEightBits[0];
        int[] green = toEightBits[colours == 1 ? 0 : 1];
        int[] blue = toEightBits[colours == 1 ? 0 : 2];
        int[] alphaTable = alpha ? toEightBits[colours] : null;
        int[] row = new int[width * bands];
        for (int y = 0; y < height; y++) {
            raster.getPixels(0, y, width, 1, row);
            int offset = y * width;
            for (int x = 0, i = 0; x < width; x++, i += bands) {
                int r;
                int g;
                int b;
                if (colours == 1) {
                    r = g = b = grey[row[i]];
                } else {
                    r = red[row[i]];
                    g = green[row[i + 1]];
                    b = blue[row[i + 2]];
                }
                if (alpha) {
                    int a = alphaTable[row[i + colours]];
                    if (a != 255) {
                        r = overWhite(r, a);
                        g = overWhite(g, a);
                        b = overWhite(b, a);
                    }
                }
                out[offset + x] = r << 16 | g << 8 | b;
            }
        }
    }

    private static void fromColourManagedArgb(BufferedImage source, int[] out) {
        int width = source.getWidth();
        int height = source.getHeight();
        int[] row = new int[width];
        for (int y = 0; y < height; y++) {
            source.getRGB(0, y, width, 1, row, 0, width);
            int offset = y * width;
            for (int x = 0; x < width; x++) {
                int argb = row[x];
                int a = argb >>> 24;
                out[offset + x] = a == 255 ? argb & 0xFFFFFF
                        : overWhite(argb >> 16 & 0xFF, a) << 16 | overWhite(argb >> 8 & 0xFF, a) << 8 | overWhite(argb & 0xFF, a);
            }
        }
    }
}
