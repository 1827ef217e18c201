package io.multimodalrag.image;

import java.awt.Point;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferInt;
import java.awt.image.DirectColorModel;
import java.awt.image.PixelInterleavedSampleModel;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Optional;
import java.util.function.IntFunction;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.spi.IIORegistry;
import javax.imageio.spi.ImageReaderSpi;

/**
 * A JPEG's pixels as {@code TYPE_INT_RGB}, exactly as Pillow 9.4 with libjpeg gets them, because CLIP was trained on
 * Pillow's output. ImageIO's colour management stays out: it would apply embedded ICC profiles (Pillow ignores them)
 * and push CMYK through an ICC profile instead of Pillow's formula.
 * <ul>
 *   <li>grey and plain YCbCr ({@link JpegStructure#libjpegRgb()}, nearly every photo): libjpeg converts to RGB itself
 *       ({@link #readRgb}: its fixed-point tables, {@code jdcolor.c}, which Pillow's libjpeg uses too), into a
 *       destination in the file's own colour space, the one the JDK's reader does not convert into;</li>
 *   <li>the rest, from the raw component samples ({@code ImageReader.readRaster}: decoded and upsampled, no colour
 *       conversion, {@link #toRgb}): RGB as stored; other YCbCr through libjpeg's tables
 *       ({@code build_ycc_rgb_table}); CMYK/YCCK: libjpeg turns YCCK into CMYK (the YCbCr tables give 255 − C,
 *       255 − M, 255 − Y; K unchanged); Pillow reads every CMYK JPEG as Adobe-inverted ({@code CMYK;I}) and its
 *       {@code cmyk2rgb} computes R = clip(nk − nk × C / 255) with nk = 255 − K, rounded by {@code MULDIV255}.
 *       Folding the inversions together, with s the stored samples: nk = s<sub>K</sub>, and C = 255 − s<sub>C</sub>
 *       for CMYK or C = clip(R(Y, Cb, Cr)) for YCCK.</li>
 * </ul>
 */
final class JpegRasterConverter {

    private static final int[] RGB_MASKS = {0xFF0000, 0xFF00, 0xFF};
    /** The colour model of {@code TYPE_INT_RGB}. */
    private static final DirectColorModel RGB = new DirectColorModel(24, RGB_MASKS[0], RGB_MASKS[1], RGB_MASKS[2]);
    private static final int SCALE_BITS = 16;
    private static final String JDK_READER = "com.sun.imageio.plugins.jpeg.JPEGImageReader";
    /** Reads 4 bytes as one big-endian int: R, G, B of a pixel and the next one's R, which a shift drops. */
    private static final VarHandle BIG_ENDIAN_INTS = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    /** The provider of the JDK's own JPEG reader (libjpeg), empty on a JVM without it; null until looked up. */
    private static volatile Optional<ImageReaderSpi> jdkProvider;
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
     */
    static BufferedImage toRgb(Raster raster, JpegStructure.ColorSpace colorSpace, IntFunction<int[]> pixels) {
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
        int[] out = pixelArray(pixels, width, height);
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
        return wrap(out, width, height);
    }

    /**
     * A new instance of the JDK's own JPEG reader, or null where the JVM has none. TwelveMonkeys' reader, which
     * ImageIO prefers, wraps it and would make its own colour decisions on {@code read}.
     */
    static ImageReader newJdkReader() throws IOException {
        Optional<ImageReaderSpi> provider = jdkProvider;
        if (provider == null) {
            Iterator<ImageReaderSpi> providers = IIORegistry.getDefaultInstance().getServiceProviders(ImageReaderSpi.class,
                    spi -> JDK_READER.equals(((ImageReaderSpi) spi).getPluginClassName()), false);
            provider = providers.hasNext() ? Optional.of(providers.next()) : Optional.empty();
            jdkProvider = provider;
        }
        return provider.isPresent() ? provider.get().createReaderInstance() : null;
    }

    /**
     * Decodes the grey or plain YCbCr JPEG behind {@code reader} (the JDK's, input set, header read, size checked)
     * with libjpeg's own conversion to RGB, straight into the pixel array: the destination is in the file's own
     * colour space (see {@link #ownColorSpace}), and its raster packs each row of libjpeg's RGB bytes to 0xRRGGBB as
     * the reader hands it over ({@link PackingRaster}), while the row is still in the cache.
     */
    static BufferedImage readRgb(ImageReader reader, int width, int height, IntFunction<int[]> pixels) throws IOException {
        int[] out = pixelArray(pixels, width, height);
        WritableRaster packed = Raster.createPackedRaster(new DataBufferInt(out, width * height), width, height, width,
                RGB_MASKS, null);
        DirectColorModel model = new DirectColorModel(ownColorSpace(reader), 24, RGB_MASKS[0], RGB_MASKS[1], RGB_MASKS[2],
                0, false, DataBuffer.TYPE_INT);
        ImageReadParam param = reader.getDefaultReadParam();
        param.setDestination(new BufferedImage(model, new PackingRaster(packed, out, width), false, null));
        reader.read(0, param);
        // The destination is not a TYPE_INT_RGB image (its raster and colour space are not the standard ones); the
        // pixels are.
        return wrap(out, width, height);
    }

    /**
     * The destination raster of {@link #readRgb}. The JDK's reader decodes each row into a one-row byte raster
     * (R, G, B interleaved) and copies it into the destination with {@code setRect}; for an int destination the
     * inherited copy goes sample by sample through the sample model (measured: about 6 ms more per demo photo, where
     * this loop takes a fifth of a millisecond).
     * Here a whole row of that layout is packed with one 4-byte load per pixel; any other call takes the inherited
     * way, so the result never depends on how the reader calls.
     */
    private static final class PackingRaster extends WritableRaster {
        private final int[] out;
        private final int width;

        PackingRaster(WritableRaster packed, int[] out, int width) {
            super(packed.getSampleModel(), packed.getDataBuffer(), new Point(0, 0));
            this.out = out;
            this.width = width;
        }

        @Override
        public void setRect(int dx, int dy, Raster source) {
            if (dx != 0 || dy < 0 || dy >= getHeight() || source.getMinX() != 0 || source.getMinY() != 0
                    || source.getWidth() != width || source.getHeight() != 1 || !isRgbBytes(source)) {
                super.setRect(dx, dy, source);
                return;
            }
            byte[] rgb = ((DataBufferByte) source.getDataBuffer()).getData();
            int base = dy * width;
            int x = 0;
            for (int i = 0; x < width - 1; x++, i += 3) {
                out[base + x] = (int) BIG_ENDIAN_INTS.get(rgb, i) >>> 8;
            }
            // The last pixel: a 4-byte load could run past the row.
            out[base + x] = (rgb[3 * x] & 0xFF) << 16 | (rgb[3 * x + 1] & 0xFF) << 8 | (rgb[3 * x + 2] & 0xFF);
        }

        /** One row of R, G, B bytes from the first byte of one buffer, as the reader's row raster holds them. */
        private static boolean isRgbBytes(Raster source) {
            return source.getDataBuffer() instanceof DataBufferByte bytes && bytes.getNumBanks() == 1
                    && bytes.getOffset() == 0 && source.getSampleModel() instanceof PixelInterleavedSampleModel layout
                    && layout.getPixelStride() == 3 && Arrays.equals(layout.getBandOffsets(), new int[] {0, 1, 2})
                    && source.getSampleModelTranslateX() == 0 && source.getSampleModelTranslateY() == 0
                    && bytes.getSize() >= 3 * source.getWidth();
        }
    }

    /**
     * The colour space the reader uses for the file's own RGB: its embedded ICC profile's when it has a usable one,
     * else sRGB. A destination in that colour space is one the reader does not convert into (it would run a
     * {@code ColorConvertOp} from the profile to any other), so the pixels stay libjpeg's, as Pillow's do. A grey
     * file is never converted; libjpeg replicates it into R = G = B.
     */
    private static ColorSpace ownColorSpace(ImageReader reader) throws IOException {
        for (Iterator<ImageTypeSpecifier> types = reader.getImageTypes(0); types.hasNext(); ) {
            ColorSpace space = types.next().getColorModel().getColorSpace();
            if (space.getType() == ColorSpace.TYPE_RGB && space.getNumComponents() == 3 && !space.isCS_sRGB()) {
                return space; // the ICC profile's
            }
        }
        return ColorSpace.getInstance(ColorSpace.CS_sRGB);
    }

    private static int[] pixelArray(IntFunction<int[]> pixels, int width, int height) {
        int[] out = pixels.apply(width * height);
        if (out.length < width * height) {
            throw new IllegalArgumentException("pixel array of " + out.length + " for " + width + "×" + height);
        }
        return out;
    }

    /** A {@code TYPE_INT_RGB} image over the first width × height ints of {@code pixels}. */
    private static BufferedImage wrap(int[] pixels, int width, int height) {
        WritableRaster raster = Raster.createPackedRaster(new DataBufferInt(pixels, width * height), width, height, width,
                RGB_MASKS, null);
        return new BufferedImage(RGB, raster, false, null);
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
