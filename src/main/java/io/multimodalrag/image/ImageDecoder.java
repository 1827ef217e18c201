package io.multimodalrag.image;

import io.multimodalrag.image.ImageDecodingException.Reason;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.event.IIOReadWarningListener;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.Iterator;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntFunction;

/**
 * Turns untrusted upload bytes into a clean image: always {@code TYPE_INT_RGB}, upright (EXIF orientation applied),
 * alpha composited over white, grey replicated into R = G = B, 16-bit samples rounded to 8 bits, and CMYK/YCCK
 * JPEGs converted the way Pillow does. The goal is the same pixels CLIP's reference pipeline (Pillow 9.4) gets
 * from the same file, so that our embeddings match the model's training distribution.
 * <p>
 * Accepts JPEG (baseline, progressive, CMYK, YCCK), PNG, WebP, GIF (first frame) and BMP, recognised by magic
 * bytes. Every failure is an {@link ImageDecodingException} with a client-safe message; the pixel count is
 * checked from the header before any pixel memory is allocated, so decompression bombs are refused cheaply.
 * <p>
 * Thread-safe: each call uses its own ImageIO reader and stream.
 */
public final class ImageDecoder {

    private static final AtomicBoolean PLUGINS_RESCANNED = new AtomicBoolean();

    private final long maxPixels;

    /** @param maxPixels largest width × height accepted (config {@code rag.image.max-pixels}, default 50 000 000) */
    public ImageDecoder(long maxPixels) {
        if (maxPixels < 1) {
            throw new IllegalArgumentException("maxPixels must be at least 1 but was " + maxPixels
                    + "; set rag.image.max-pixels to a positive pixel count such as 50000000");
        }
        this.maxPixels = maxPixels;
    }

    /**
     * The MIME type of a supported image format, sniffed from the first bytes of the file (32 are plenty):
     * image/jpeg, image/png, image/webp, image/gif or image/bmp; empty for anything else.
     */
    public static Optional<String> mimeType(byte[] headerBytes) {
        return ImageFormat.sniff(headerBytes).map(ImageFormat::mimeType);
    }

    /**
     * Whether the file's EXIF orientation asks viewers to rotate or mirror its stored pixels, i.e. whether
     * {@link #decode} turns it before returning it. Consumers that pass the original bytes on (to a vision LLM
     * that may ignore EXIF) re-encode such files instead.
     */
    public static boolean isStoredRotated(byte[] bytes) {
        Optional<ImageFormat> format = ImageFormat.sniff(bytes);
        boolean mayCarryExif = format.isPresent()
                && (format.get() == ImageFormat.JPEG || format.get() == ImageFormat.PNG || format.get() == ImageFormat.WEBP);
        return mayCarryExif && ExifOrientation.read(bytes) != ExifOrientation.NORMAL;
    }

    /**
     * Decodes {@code bytes} into an upright, opaque {@code TYPE_INT_RGB} image.
     *
     * @throws ImageDecodingException for empty, unrecognised, unsupported, corrupt or oversized input
     */
    public BufferedImage decode(byte[] bytes) {
        return decode(bytes, int[]::new);
    }

    /**
     * As {@link #decode(byte[])}, but a JPEG's pixels go into an array from {@code pixels} (called with the pixel
     * count; it returns an array at least that long, which the image then wraps), so that a caller that is done
     * with each image before decoding the next can hand out the same array again instead of allocating megabytes
     * per image. Other formats get arrays of their own; a rotated JPEG is decoded into the caller's array and
     * returned turned, in an array of its own.
     */
    public BufferedImage decode(byte[] bytes, IntFunction<int[]> pixels) {
        if (bytes == null || bytes.length == 0) {
            throw new ImageDecodingException(Reason.EMPTY,
                    "the upload is empty; attach the picture's file (" + ImageFormat.SUPPORTED_LIST + ")");
        }
        ImageFormat format = ImageFormat.sniff(bytes).orElseThrow(() -> unrecognised(bytes));
        return guarded(format, () -> decodeSupported(bytes, format, pixels));
    }

    /** Runs a decoding step, turning whatever the readers throw into an {@link ImageDecodingException}. */
    private static <T> T guarded(ImageFormat format, DecodingStep<T> step) {
        try {
            return step.run();
        } catch (ImageDecodingException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // Readers report damaged data as IIOException or as assorted runtime exceptions from deep inside;
            // the PNG reader even wraps an OutOfMemoryError in an IIOException.
            throw causedByOutOfMemory(e) ? tooLargeForMemory(e) : undecodable(format, e);
        } catch (OutOfMemoryError e) {
            throw tooLargeForMemory(e);
        } catch (StackOverflowError e) {
            throw undecodable(format, e);
        }
    }

    @FunctionalInterface
    private interface DecodingStep<T> {
        T run() throws IOException;
    }

    private BufferedImage decodeSupported(byte[] bytes, ImageFormat format, IntFunction<int[]> pixels)
            throws IOException {
        JpegStructure jpeg = null;
        GifLayout gif = null;
        switch (format) {
            case JPEG -> {
                jpeg = JpegStructure.scan(bytes);
                if (!jpeg.complete()) {
                    throw truncated(format);
                }
                if (jpeg.colorSpace() == JpegStructure.ColorSpace.UNKNOWN) {
                    throw undecodable(format, null);
                }
            }
            case PNG -> PngIntegrity.check(bytes);
            case WEBP -> checkRiffLength(bytes);
            case GIF -> gif = GifLayout.scan(bytes).orElse(null);
            default -> {
                // BMP has no cheap whole-file check; its reader fails on damaged data.
            }
        }
        BufferedImage rgb = read(bytes, format, jpeg, gif, pixels);
        // Pillow honours EXIF in JPEG, PNG (eXIf) and WebP; GIF and BMP carry none.
        boolean mayCarryExif = format == ImageFormat.JPEG || format == ImageFormat.PNG || format == ImageFormat.WEBP;
        if (!mayCarryExif) {
            return rgb;
        }
        // A JPEG's segments were walked above; the EXIF block's place came with them.
        return ExifOrientation.apply(rgb, jpeg != null ? ExifOrientation.read(bytes, jpeg) : ExifOrientation.read(bytes));
    }

    private BufferedImage read(byte[] bytes, ImageFormat format, JpegStructure jpeg, GifLayout gif,
                               IntFunction<int[]> pixels) throws IOException {
        ImageReader libjpeg = jpeg != null && jpeg.libjpegRgb() ? JpegRasterConverter.newJdkReader() : null;
        ImageReader reader = libjpeg != null ? libjpeg : readerFor(format);
        BufferedImage rgb = readWith(reader, bytes, format, (width, height) -> {
            if (gif != null) {
                checkPixelCount(gif.canvasWidth(), gif.canvasHeight());
            }
            if (libjpeg != null) {
                return JpegRasterConverter.readRgb(libjpeg, width, height, pixels);
            }
            if (jpeg != null) {
                // Raw component samples, converted like libjpeg + Pillow rather than by ImageIO's colour management.
                Raster raster = reader.readRaster(0, null);
                return JpegRasterConverter.toRgb(raster, jpeg.colorSpace(), pixels);
            }
            BufferedImage decoded = reader.read(0, null);
            return OpaqueRgbConverter.convert(gif != null ? gif.placeOnCanvas(decoded) : decoded);
        });
        checkPixelCount(rgb.getWidth(), rgb.getHeight());
        return rgb;
    }

    /**
     * Sets {@code bytes} as the reader's input, refuses a decompression bomb from the header's size before any pixel
     * memory is allocated, runs {@code step}, refuses a picture libjpeg found truncated, and disposes of the reader.
     */
    private <T> T readWith(ImageReader reader, byte[] bytes, ImageFormat format, ReadStep<T> step) throws IOException {
        TruncationWarnings warnings = new TruncationWarnings();
        try (ImageInputStream input = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            reader.setInput(input, false, true);
            reader.addIIOReadWarningListener(warnings);
            int width = reader.getWidth(0);
            int height = reader.getHeight(0);
            checkPixelCount(width, height);
            T result = step.read(width, height);
            if (warnings.sawTruncation) {
                throw truncated(format);
            }
            return result;
        } finally {
            reader.dispose();
        }
    }

    /** What is read once the header's size has been checked. */
    @FunctionalInterface
    private interface ReadStep<T> {
        T read(int width, int height) throws IOException;
    }

    private static ImageReader readerFor(ImageFormat format) {
        Iterator<ImageReader> readers = ImageIO.getImageReadersByMIMEType(format.mimeType());
        if (!readers.hasNext() && PLUGINS_RESCANNED.compareAndSet(false, true)) {
            // ImageIO fills its registry once, from the class loader current at the time; if that could not see
            // the plugin jars (webp-imageio's WebP reader), a rescan from ours can.
            ImageIO.scanForPlugins();
            readers = ImageIO.getImageReadersByMIMEType(format.mimeType());
        }
        if (!readers.hasNext()) {
            // Only happens when an ImageIO plugin (webp-imageio, for WebP) is missing from the deployment.
            throw new ImageDecodingException(Reason.UNSUPPORTED_FORMAT, format.displayName()
                    + " images cannot be decoded by this server; convert the picture to JPEG or PNG and upload it again");
        }
        return readers.next();
    }

    private void checkPixelCount(int width, int height) {
        if (width <= 0 || height <= 0) {
            throw new ImageDecodingException(Reason.CORRUPT,
                    "the image header gives no valid size; upload an intact copy of the file");
        }
        long pixels = (long) width * height;
        if (pixels > maxPixels) {
            throw new ImageDecodingException(Reason.TOO_MANY_PIXELS, String.format(Locale.ROOT,
                    "the image is %d×%d = %s megapixels, above the limit of %s megapixels; downscale it and upload it again",
                    width, height, megapixels(pixels), megapixels(maxPixels)));
        }
    }

    /** "400", "51.2", "0.0216": whole numbers from 100 up, otherwise three significant digits. */
    private static String megapixels(long pixels) {
        BigDecimal value = BigDecimal.valueOf(pixels, 6);
        value = value.compareTo(BigDecimal.valueOf(100)) >= 0
                ? value.setScale(0, RoundingMode.HALF_UP)
                : value.round(new MathContext(3, RoundingMode.HALF_UP));
        return value.stripTrailingZeros().toPlainString();
    }

    /** A RIFF header states the file size; fewer bytes than that means the upload was cut short. */
    private static void checkRiffLength(byte[] bytes) {
        long riffSize = (bytes[4] & 0xFFL) | (bytes[5] & 0xFFL) << 8 | (bytes[6] & 0xFFL) << 16 | (bytes[7] & 0xFFL) << 24;
        if (bytes.length < riffSize + 8) {
            throw truncated(ImageFormat.WEBP);
        }
    }

    private static ImageDecodingException unrecognised(byte[] bytes) {
        if (ImageFormat.isPdf(bytes)) {
            return new ImageDecodingException(Reason.NOT_AN_IMAGE, "the file is a PDF document, not an image; upload the picture itself as "
                    + ImageFormat.SUPPORTED_LIST);
        }
        return ImageFormat.sniffUnsupported(bytes)
                .map(name -> new ImageDecodingException(Reason.UNSUPPORTED_FORMAT, name
                        + " images are not supported; convert the picture to JPEG or PNG and upload it again"))
                .orElseGet(() -> new ImageDecodingException(Reason.NOT_AN_IMAGE,
                        "the file is not a recognised image; upload a " + ImageFormat.SUPPORTED_LIST + " picture"));
    }

    private static boolean causedByOutOfMemory(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof OutOfMemoryError) {
                return true;
            }
        }
        return false;
    }

    private static ImageDecodingException tooLargeForMemory(Throwable cause) {
        return new ImageDecodingException(Reason.TOO_MANY_PIXELS,
                "the image is too large to decode on this server right now; downscale it and upload it again", cause);
    }

    private static ImageDecodingException truncated(ImageFormat format) {
        return new ImageDecodingException(Reason.CORRUPT,
                "the " + format.displayName() + " image is truncated; upload the complete file");
    }

    private static ImageDecodingException undecodable(ImageFormat format, Throwable cause) {
        return new ImageDecodingException(Reason.CORRUPT, "the " + format.displayName()
                + " image could not be decoded because its data is damaged or uses an unsupported variant;"
                + " re-save it as a standard JPEG or PNG and upload it again", cause);
    }

    /**
     * libjpeg does not fail on a file that ends early: it pads the picture with grey and only warns. Those
     * warnings mean the picture is incomplete; others (e.g. stray bytes between segments) are harmless.
     */
    private static final class TruncationWarnings implements IIOReadWarningListener {
        private boolean sawTruncation;

        @Override
        public void warningOccurred(ImageReader source, String warning) {
            String text = warning == null ? "" : warning.toLowerCase(Locale.ROOT);
            if (text.contains("premature end") || text.contains("truncated") || text.contains("missing eoi")) {
                sawTruncation = true;
            }
        }
    }
}
