package io.multimodalrag.image;

import io.multimodalrag.image.vp8.VP8Frame;
import io.multimodalrag.image.vp8.YuvPlanes;

import javax.imageio.IIOException;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Decodes still lossy WebP (a VP8 bitstream, with or without an ALPH chunk) into the colours libwebp, and so
 * Pillow, produces: the VP8 decoder in {@link io.multimodalrag.image.vp8} (TwelveMonkeys' with libwebp's loop-filter
 * order) reconstructs the planes, and {@link LibwebpUpsampler} interpolates chroma and converts to RGB the libwebp
 * way. The planes are bit-exact with libwebp's, so the pixels are too.
 * <p>
 * Alpha still comes from TwelveMonkeys' {@link ImageReader}, so the lossless alpha codec and its filters stay the
 * library's; it decodes the VP8 data a second time for that, which only pictures with an ALPH chunk pay.
 */
final class WebpLossyDecoder {

    private static final int RIFF_HEADER = 12;
    private static final int CHUNK_HEADER = 8;
    private static final int VP8X_ALPHA = 0x10;
    private static final int VP8X_ANIMATION = 0x02;

    /**
     * Where the VP8 bitstream of a still lossy WebP lies.
     *
     * @param offset   first byte of the VP8 chunk's payload
     * @param length   payload length
     * @param hasAlpha whether an ALPH chunk goes with it
     */
    record Vp8Chunk(int offset, int length, boolean hasAlpha) {
    }

    private WebpLossyDecoder() {
    }

    /** The VP8 chunk of a still lossy WebP; empty for lossless (VP8L), animated or malformed files. */
    static Optional<Vp8Chunk> findVp8Chunk(byte[] webp) {
        boolean hasAlpha = false;
        int position = RIFF_HEADER;
        boolean first = true;
        while (position + CHUNK_HEADER <= webp.length) {
            String fourCc = new String(webp, position, 4, StandardCharsets.US_ASCII);
            long size = littleEndian32(webp, position + 4);
            int payload = position + CHUNK_HEADER;
            if (payload + size > webp.length) {
                return Optional.empty();
            }
            switch (fourCc) {
                case "VP8 " -> {
                    return Optional.of(new Vp8Chunk(payload, (int) size, hasAlpha));
                }
                case "VP8X" -> {
                    if (!first || size < 1 || (webp[payload] & VP8X_ANIMATION) != 0) {
                        return Optional.empty();
                    }
                }
                case "ALPH" -> hasAlpha = true;
                case "VP8L", "ANIM", "ANMF" -> {
                    return Optional.empty();
                }
                default -> {
                    // ICCP, EXIF, XMP and unknown chunks carry no pixels.
                }
            }
            first = false;
            position = payload + (int) size + (int) (size & 1);
        }
        return Optional.empty();
    }

    /**
     * Decodes the picture, alpha composited over white.
     *
     * @param reader TwelveMonkeys' WebP reader with {@code webp} as its input, used only for alpha
     */
    static BufferedImage decode(byte[] webp, Vp8Chunk chunk, ImageReader reader) throws IOException {
        int width = reader.getWidth(0);
        int height = reader.getHeight(0);
        YuvPlanes planes;
        try (ImageInputStream input = new MemoryCacheImageInputStream(
                new ByteArrayInputStream(webp, chunk.offset(), chunk.length()))) {
            planes = new VP8Frame(input, webp, chunk.offset(), chunk.length()).decode(width, height);
        }
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        int[] rgb = ((DataBufferInt) image.getRaster().getDataBuffer()).getData();
        LibwebpUpsampler.toRgb(planes, rgb);
        if (chunk.hasAlpha()) {
            compositeOverWhite(rgb, reader.read(0, null), width, height);
        }
        return image;
    }

    private static void compositeOverWhite(int[] rgb, BufferedImage withAlpha, int width, int height) throws IIOException {
        Raster alpha = withAlpha.getAlphaRaster();
        if (alpha == null || withAlpha.getWidth() != width || withAlpha.getHeight() != height) {
            throw new IIOException("the WebP reader gave no alpha for a picture with an ALPH chunk");
        }
        int[] row = new int[width];
        for (int y = 0; y < height; y++) {
            alpha.getSamples(0, y, width, 1, 0, row);
            int offset = y * width;
            for (int x = 0; x < width; x++) {
                int a = row[x];
                if (a != 255) {
                    int pixel = rgb[offset + x];
                    rgb[offset + x] = OpaqueRgbConverter.overWhite(pixel >> 16 & 0xFF, a) << 16
                            | OpaqueRgbConverter.overWhite(pixel >> 8 & 0xFF, a) << 8
                            | OpaqueRgbConverter.overWhite(pixel & 0xFF, a);
                }
            }
        }
    }

    private static long littleEndian32(byte[] bytes, int offset) {
        return (bytes[offset] & 0xFFL) | (bytes[offset + 1] & 0xFFL) << 8 | (bytes[offset + 2] & 0xFFL) << 16
                | (bytes[offset + 3] & 0xFFL) << 24;
    }
}
