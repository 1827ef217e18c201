package io.multimodalrag.image;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.awt.image.Raster;

/**
 * Converts the raw samples of a 4-component JPEG (CMYK or YCCK) to RGB exactly as Pillow 9.4 does, because CLIP
 * was trained on Pillow's output and its embeddings should not depend on which decoder saw the file.
 * <p>
 * Pillow's path: libjpeg turns YCCK into CMYK (YCbCr → RGB with its fixed-point tables, then C = 255 − R ...,
 * K unchanged); Pillow reads every CMYK JPEG as Adobe-inverted ({@code CMYK;I}); its {@code cmyk2rgb} then computes
 * R = clip(nk − nk × C / 255) with nk = 255 − K and the division rounded by {@code MULDIV255}. Folding the
 * inversions together, with s the stored samples: nk = s<sub>K</sub>, and C = 255 − s<sub>C</sub> for CMYK or
 * C = clip(R(Y, Cb, Cr)) for YCCK. Embedded ICC profiles are ignored, as Pillow ignores them.
 */
final class JpegCmykConverter {

    private static final int SCALE_BITS = 16;
    private static final int ONE_HALF = 1 << (SCALE_BITS - 1);
    // libjpeg's jdcolor.c build_ycc_rgb_table, bit for bit (identical in libjpeg-turbo).
    private static final int[] CR_TO_R = new int[256];
    private static final int[] CB_TO_B = new int[256];
    private static final int[] CR_TO_G = new int[256];
    private static final int[] CB_TO_G = new int[256];

    static {
        for (int i = 0; i < 256; i++) {
            int x = i - 128;
            CR_TO_R[i] = (fix(1.40200) * x + ONE_HALF) >> SCALE_BITS;
            CB_TO_B[i] = (fix(1.77200) * x + ONE_HALF) >> SCALE_BITS;
            CR_TO_G[i] = -fix(0.71414) * x;
            CB_TO_G[i] = -fix(0.34414) * x + ONE_HALF;
        }
    }

    private JpegCmykConverter() {
    }

    /** @param raster the undecoded-colour raster from {@code ImageReader.readRaster}: bands C, M, Y, K or Y, Cb, Cr, K */
    static BufferedImage toRgb(Raster raster, boolean ycck) {
        int width = raster.getWidth();
        int height = raster.getHeight();
        BufferedImage target = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        int[] out = ((DataBufferInt) target.getRaster().getDataBuffer()).getData();
        int[] row = new int[width * 4];
        for (int y = 0; y < height; y++) {
            raster.getPixels(raster.getMinX(), raster.getMinY() + y, width, 1, row);
            int offset = y * width;
            for (int x = 0, i = 0; x < width; x++, i += 4) {
                int c;
                int m;
                int yellow;
                if (ycck) {
                    int luma = row[i];
                    int cb = row[i + 1];
                    int cr = row[i + 2];
                    c = clip(luma + CR_TO_R[cr]);
                    m = clip(luma + ((CB_TO_G[cb] + CR_TO_G[cr]) >> SCALE_BITS));
                    yellow = clip(luma + CB_TO_B[cb]);
                } else {
                    c = 255 - row[i];
                    m = 255 - row[i + 1];
                    yellow = 255 - row[i + 2];
                }
                int notBlack = row[i + 3];
                out[offset + x] = clip(notBlack - mulDiv255(c, notBlack)) << 16
                        | clip(notBlack - mulDiv255(m, notBlack)) << 8
                        | clip(notBlack - mulDiv255(yellow, notBlack));
            }
        }
        return target;
    }

    /** Pillow's MULDIV255: a × b / 255 rounded, without a division. */
    private static int mulDiv255(int a, int b) {
        int t = a * b + 128;
        return ((t >> 8) + t) >> 8;
    }

    private static int fix(double x) {
        return (int) (x * (1 << SCALE_BITS) + 0.5);
    }

    private static int clip(int value) {
        return value < 0 ? 0 : Math.min(value, 255);
    }
}
