package io.multimodalrag.answer;

import io.multimodalrag.image.ImageDecoder;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;
import java.util.Iterator;
import java.util.Set;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageReader;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * An image ready for a chat request: a data URL labelled with the true MIME type of its bytes.
 * <p>
 * An image that fits within {@code maxSide}, is stored upright, and is JPEG, PNG or WebP (what
 * vision APIs accept) goes as its original bytes, its size read from its header (nothing decoded).
 * Any other is decoded upright, downscaled so its longer side is at most {@code maxSide}, and
 * re-encoded: JPEG when the source was a lossy photo format (JPEG, WebP), PNG when it was lossless
 * (PNG, GIF, BMP — often drawings whose edges JPEG would smear). Decoding flattens transparency onto
 * white, as the CLIP pipeline sees it.
 * <p>
 * CPU-bound: call it on a worker thread, never on the event loop.
 *
 * @param mediaType the MIME type of the bytes in the URL
 * @param dataUrl   {@code data:<mediaType>;base64,<bytes>}
 * @param width     pixels across, as sent
 * @param height    pixels down, as sent
 */
public record PromptImage(String mediaType, String dataUrl, int width, int height) {

    private static final Set<String> SENT_AS_IS = Set.of("image/jpeg", "image/png", "image/webp");
    private static final Set<String> LOSSY = Set.of("image/jpeg", "image/webp");
    private static final float JPEG_QUALITY = 0.85f;

    /**
     * @param original the file's bytes, already known to decode
     * @param decoder  the service's decoder (pixel limit, EXIF orientation)
     * @param maxSide  the longest side allowed, {@code rag.llm.image-max-side}
     */
    public static PromptImage of(byte[] original, ImageDecoder decoder, int maxSide) {
        String type = typeOf(original);
        if (sendableAsStored(original, type)) {
            // Its header says whether it fits: no pixels are decoded for an image that goes as it is.
            int[] size = storedSize(original, type);
            if (size != null && Math.max(size[0], size[1]) <= maxSide) {
                return asStored(original, type, size[0], size[1]);
            }
        }
        BufferedImage upright = decoder.decode(original);
        return of(original, pixelsToSend(original, upright, maxSide, false), upright.getWidth(), upright.getHeight());
    }

    /**
     * What a prompt needs of {@code original}'s decoded, upright image: null when the original bytes can go as they
     * are (a sendable type, stored upright, fitting within {@code maxSide}), else the picture to re-encode, downscaled
     * to fit. With {@code copy}, that picture never shares {@code upright}'s pixels, which may then be reused.
     */
    static BufferedImage pixelsToSend(byte[] original, BufferedImage upright, int maxSide, boolean copy) {
        boolean fits = Math.max(upright.getWidth(), upright.getHeight()) <= maxSide;
        if (fits && sendableAsStored(original, typeOf(original))) {
            return null;
        }
        return fits ? (copy ? resize(upright, upright.getWidth(), upright.getHeight()) : upright)
                : downscale(upright, maxSide);
    }

    /**
     * The prompt image of {@code original}: its own bytes when {@code pixelsToSend} is null ({@code width} ×
     * {@code height} being its size), else {@code pixelsToSend} encoded as JPEG when the source was a lossy photo
     * format, PNG when lossless.
     */
    static PromptImage of(byte[] original, BufferedImage pixelsToSend, int width, int height) {
        String sourceType = typeOf(original);
        if (pixelsToSend == null) {
            return asStored(original, sourceType, width, height);
        }
        String type = LOSSY.contains(sourceType) ? "image/jpeg" : "image/png";
        byte[] encoded = type.equals("image/jpeg") ? jpeg(pixelsToSend) : png(pixelsToSend);
        return new PromptImage(type, dataUrl(type, encoded), pixelsToSend.getWidth(), pixelsToSend.getHeight());
    }

    private static String typeOf(byte[] original) {
        return ImageDecoder.mimeType(original).orElse("application/octet-stream");
    }

    private static boolean sendableAsStored(byte[] original, String type) {
        return SENT_AS_IS.contains(type) && !ImageDecoder.isStoredRotated(original);
    }

    private static PromptImage asStored(byte[] original, String type, int width, int height) {
        return new PromptImage(type, dataUrl(type, original), width, height);
    }

    /** Without the data URL, which may be megabytes long. */
    @Override
    public String toString() {
        return "PromptImage[" + mediaType + ", " + width + "×" + height + ", " + dataUrl.length() + " characters]";
    }

    /** Width and height from the file's header, or null when no reader can say (the decoder then decides). */
    private static int[] storedSize(byte[] bytes, String type) {
        Iterator<ImageReader> readers = ImageIO.getImageReadersByMIMEType(type);
        if (!readers.hasNext()) {
            return null;
        }
        ImageReader reader = readers.next();
        try (ImageInputStream input = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            reader.setInput(input, true, true);
            return new int[] {reader.getWidth(0), reader.getHeight(0)};
        } catch (IOException | RuntimeException e) {
            return null;
        } finally {
            reader.dispose();
        }
    }

    private static String dataUrl(String type, byte[] bytes) {
        return "data:" + type + ";base64," + Base64.getEncoder().encodeToString(bytes);
    }

    /**
     * Halves with bilinear filtering while the image is more than twice the target, then one last
     * bilinear step: close to area averaging in quality, without its cost, and without the
     * aliasing of a single large bilinear step.
     */
    static BufferedImage downscale(BufferedImage image, int maxSide) {
        int longSide = Math.max(image.getWidth(), image.getHeight());
        double scale = (double) maxSide / longSide;
        int targetWidth = Math.max(1, (int) Math.round(image.getWidth() * scale));
        int targetHeight = Math.max(1, (int) Math.round(image.getHeight() * scale));
        BufferedImage current = image;
        while (current.getWidth() / 2 >= targetWidth && current.getHeight() / 2 >= targetHeight) {
            current = resize(current, current.getWidth() / 2, current.getHeight() / 2);
        }
        return current.getWidth() == targetWidth && current.getHeight() == targetHeight
                ? current : resize(current, targetWidth, targetHeight);
    }

    private static BufferedImage resize(BufferedImage source, int width, int height) {
        BufferedImage target = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = target.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
            g.drawImage(source, 0, 0, width, height, null);
        } finally {
            g.dispose();
        }
        return target;
    }

    private static byte[] jpeg(BufferedImage image) {
        Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("jpeg");
        if (!writers.hasNext()) {
            throw new IllegalStateException("no JPEG encoder in this JVM");
        }
        ImageWriter writer = writers.next();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
            writer.setOutput(stream);
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(JPEG_QUALITY);
            writer.write(null, new IIOImage(image, null, null), param);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }

    private static byte[] png(BufferedImage image) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(image, "png", out)) {
                throw new IllegalStateException("no PNG encoder in this JVM");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
