package io.multimodalrag.image;

import java.awt.image.BufferedImage;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferInt;
import java.awt.image.DirectColorModel;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.util.Arrays;
import java.util.concurrent.Executor;
import java.util.function.IntFunction;

/**
 * Converts the raw component samples of a JPEG ({@code ImageReader.readRaster}: decoded and upsampled, but no
 * colour conversion) to RGB exactly as Pillow 9.4 with libjpeg does, because CLIP was trained on Pillow's output.
 * Doing the last step ourselves keeps ImageIO's colour management out: it would apply embedded ICC profiles
 * (Pillow ignores them) and push CMYK through an ICC profile instead of Pillow's formula.
 * <ul>
 *   <li>grey: replicated; RGB: as stored;</li>
 *   <li>YCbCr: libjpeg's fixed-point tables ({@code jdcolor.c build_ycc_rgb_table}, identical in libjpeg-turbo);</li>
 *   <li>CMYK/YCCK: libjpeg turns YCCK into CMYK (the YCbCr tables give 255 − C, 255 − M, 255 − Y; K unchanged);
 *       Pillow reads every CMYK JPEG as Adobe-inverted ({@code CMYK;I}) and its {@code cmyk2rgb} computes
 *       R = clip(nk − nk × C / 255) with nk = 255 − K, rounded by {@code MULDIV255}. Folding the inversions
 *       together, with s the stored samples: nk = s<sub>K</sub>, and C = 255 − s<sub>C</sub> for CMYK or
 *       C = clip(R(Y, Cb, Cr)) for YCCK.</li>
 * </ul>
 */
final class JpegRasterConverter {

    private static final int[] RGB_MASKS = {0xFF0000, 0xFF00, 0xFF};
    /** The colour model of {@code TYPE_INT_RGB}. */
    private static final DirectColorModel RGB = new DirectColorModel(24, RGB_MASKS[0], RGB_MASKS[1], RGB_MASKS[2]);
    private static final int SCALE_BITS = 16;
    /**
     * Below this many pixels per half, handing half of the conversion to another thread does not pay: about 0.1 ms of
     * the vector loop (the scalar one takes 0.8 ms).
     */
    private static final int MIN_SPLIT_PIXELS = 256 * 1024;
    /** The YCbCr fast path's loop: on the Vector API when the JVM has it. */
    static final YCbCrToRgb CONVERTER = YCbCrToRgb.fastestAvailable();
    private static final int ONE_HALF = 1 << (SCALE_BITS - 1);
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
            CB_TO_G[i] = -fix(0.34414) * x + ONE_HALF; // the rounding half of the green sum rides along here
        }
    }

    private JpegRasterConverter() {
    }

    /**
     * @param raster     from {@code readRaster}: bands in file order (Y, or Y Cb Cr, R G B, C M Y K, Y Cb Cr K)
     * @param colorSpace how libjpeg interprets those bands
     * @param pixels     gives the array the pixels go into, at least as long as the pixel count it is called with;
     *                   the returned {@code TYPE_INT_RGB} image wraps it
     * @param helper     takes half of the YCbCr conversion ({@link RangeSplit}), or {@link RangeSplit#SEQUENTIAL}
     */
    static BufferedImage toRgb(Raster raster, JpegStructure.ColorSpace colorSpace, IntFunction<int[]> pixels,
                               Executor helper) {
        int bands = switch (colorSpace) {
            case GREY -> 1;
            case YCBCR, RGB -> 3;
            case CMYK, YCCK -> 4;
            case UNKNOWN -> throw new IllegalArgumentException("no RGB conversion for an unknown JPEG colour space");
        };
        if (raster.getNumBands() != bands) {
            throw new IllegalArgumentException("expected " + bands + " bands for " + colorSpace + " but the raster has "
                    + raster.getNumBands());
        }
        int width = raster.getWidth();
        int height = raster.getHeight();
        int[] out = pixels.apply(width * height);
        if (out.length < width * height) {
            throw new IllegalArgumentException("pixel array of " + out.length + " for " + width + "×" + height);
        }
        BufferedImage target = wrap(out, width, height);
        if (colorSpace == JpegStructure.ColorSpace.YCBCR && interleavedBytes(raster, bands)) {
            yCbCrToRgb(raster, out, helper);
            return target;
        }
        int[] row = new int[width * bands];
        for (int y = 0; y < height; y++) {
            raster.getPixels(raster.getMinX(), raster.getMinY() + y, width, 1, row);
            int offset = y * width;
            for (int x = 0, i = 0; x < width; x++, i += bands) {
                out[offset + x] = switch (colorSpace) {
                    case GREY -> row[i] * 0x010101;
                    case RGB -> row[i] << 16 | row[i + 1] << 8 | row[i + 2];
                    case YCBCR -> yCbCrToRgb(row[i], row[i + 1], row[i + 2]);
                    case CMYK -> inkToRgb(255 - row[i], 255 - row[i + 1], 255 - row[i + 2], row[i + 3]);
                    default -> inkToRgb(yCbCrToRgb(row[i], row[i + 1], row[i + 2]), row[i + 3]); // YCCK
                };
            }
        }
        return target;
    }

    /** A {@code TYPE_INT_RGB} image over the first width × height ints of {@code pixels}. */
    private static BufferedImage wrap(int[] pixels, int width, int height) {
        WritableRaster raster = Raster.createPackedRaster(new DataBufferInt(pixels, width * height), width, height, width,
                RGB_MASKS, null);
        return new BufferedImage(RGB, raster, false, null);
    }

    /**
     * Whether the raster is what the JDK's JPEG reader hands out: one byte array, samples interleaved in band
     * order with no padding, so that the common YCbCr case can read it in place instead of row by row through
     * {@link Raster#getPixels} (which converts every sample to an int first).
     */
    private static boolean interleavedBytes(Raster raster, int bands) {
        if (!(raster.getDataBuffer() instanceof DataBufferByte bytes) || bytes.getNumBanks() != 1
                || !(raster.getSampleModel() instanceof ComponentSampleModel layout)) {
            return false;
        }
        int[] expectedOffsets = new int[bands];
        Arrays.setAll(expectedOffsets, i -> i);
        return layout.getPixelStride() == bands
                && layout.getScanlineStride() == raster.getWidth() * bands
                && Arrays.equals(layout.getBandOffsets(), expectedOffsets)
                && Arrays.equals(layout.getBankIndices(), new int[bands])
                && raster.getSampleModelTranslateX() == raster.getMinX()
                && raster.getSampleModelTranslateY() == raster.getMinY()
                && bytes.getOffset() == 0;
    }

    /**
     * The YCbCr fast path: {@link #yCbCrToRgb(int, int, int)}'s values straight from the bytes ({@link #CONVERTER});
     * halves of at least {@value #MIN_SPLIT_PIXELS} pixels may go to {@code helper}.
     */
    private static void yCbCrToRgb(Raster raster, int[] out, Executor helper) {
        byte[] samples = ((DataBufferByte) raster.getDataBuffer()).getData();
        RangeSplit.run(helper, 0, raster.getWidth() * raster.getHeight(), MIN_SPLIT_PIXELS,
                (from, to) -> CONVERTER.convert(samples, from, to, out));
    }

    /** libjpeg's table lookups for one pixel. */
    static int yCbCrToRgb(int luma, int cb, int cr) {
        return clip(luma + CR_TO_R[cr]) << 16
                | clip(luma + ((CB_TO_G[cb] + CR_TO_G[cr]) >> SCALE_BITS)) << 8
                | clip(luma + CB_TO_B[cb]);
    }

    /** YCCK: the three inks come packed as libjpeg's YCbCr → "RGB" result. */
    private static int inkToRgb(int packedInks, int notBlack) {
        return inkToRgb(packedInks >> 16 & 0xFF, packedInks >> 8 & 0xFF, packedInks & 0xFF, notBlack);
    }

    /** Pillow's cmyk2rgb for ink amounts c, m, y (0 = none) and nk = 255 − K. */
    private static int inkToRgb(int cyan, int magenta, int yellow, int notBlack) {
        return clip(notBlack - mulDiv255(cyan, notBlack)) << 16
                | clip(notBlack - mulDiv255(magenta, notBlack)) << 8
                | clip(notBlack - mulDiv255(yellow, notBlack));
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
