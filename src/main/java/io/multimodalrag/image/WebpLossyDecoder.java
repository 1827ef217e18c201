package io.multimodalrag.image;

import com.twelvemonkeys.imageio.plugins.webp.vp8.VP8Frame;

import javax.imageio.IIOException;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import java.awt.image.BufferedImage;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferInt;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Decodes still lossy WebP (a VP8 bitstream, with or without an ALPH chunk) into the colours libwebp, and so
 * Pillow, produces: TwelveMonkeys' VP8 decoder reconstructs the planes, but upsamples chroma by repeating each
 * sample over its 2×2 block and converts with its own BT.601 table; libwebp interpolates chroma ("fancy
 * upsampling") and rounds differently. So the planes are recovered from TwelveMonkeys' pixels
 * ({@link TwelveMonkeysYuvRecovery}) and converted again the libwebp way ({@link LibwebpUpsampler}).
 * <p>
 * Planes decoded without the loop filter (filter level 0, e.g. Pillow's {@code quality=100}) are bit-exact with
 * libwebp, at any size. With the loop filter (every libwebp encoding below quality 100) TwelveMonkeys 3.14
 * reconstructs different planes: it filters each macroblock as soon as it is decoded, so later blocks are
 * predicted from filtered neighbours where VP8 predicts from unfiltered ones, and it writes a block out before its
 * right and lower neighbours' edge filters change it. The prediction error compounds down the picture: under a
 * level on small fixtures, about 10 levels mean (78 max) on a smooth 2048×2048 photo. No post-processing can
 * undo that; only a VP8 decoder that filters after prediction (libwebp's order) can.
 * <p>
 * Alpha still comes from TwelveMonkeys' {@link ImageReader} (which decodes the VP8 data a second time), so the
 * lossless alpha codec and its filters stay the library's.
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
        WritableRaster tmPixels;
        try (ImageInputStream input = new MemoryCacheImageInputStream(
                new ByteArrayInputStream(webp, chunk.offset(), chunk.length()))) {
            VP8Frame frame = new VP8Frame(input, false);
            int width = reader.getWidth(0);
            int height = reader.getHeight(0);
            tmPixels = Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, width, height, 3, null);
            if (!frame.decode(tmPixels, null)) {
                throw new IIOException("the VP8 data is not a key frame");
            }
            if (frame.getWidth() != width || frame.getHeight() != height) {
                throw new IIOException("the VP8 frame is " + frame.getWidth() + "×" + frame.getHeight()
                        + " but the canvas " + width + "×" + height);
            }
        }
        int width = tmPixels.getWidth();
        int height = tmPixels.getHeight();
        int[] tmRgb = packed(((DataBufferByte) tmPixels.getDataBuffer()).getData());
        TwelveMonkeysYuvRecovery.Result recovered = TwelveMonkeysYuvRecovery.recover(tmRgb, width, height);
        int[] rgb = LibwebpUpsampler.toRgb(recovered.planes());
        if (recovered.unmatchedCount() > 0) {
            keepUnmatchedBlocks(recovered.unmatchedBlocks(), tmRgb, rgb, width, height);
        }
        if (chunk.hasAlpha()) {
            compositeOverWhite(rgb, reader.read(0, null), width, height);
        }
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        int[] target = ((DataBufferInt) image.getRaster().getDataBuffer()).getData();
        System.arraycopy(rgb, 0, target, 0, rgb.length);
        return image;
    }

    private static int[] packed(byte[] interleavedRgb) {
        int[] rgb = new int[interleavedRgb.length / 3];
        for (int i = 0, j = 0; i < rgb.length; i++, j += 3) {
            rgb[i] = (interleavedRgb[j] & 0xFF) << 16 | (interleavedRgb[j + 1] & 0xFF) << 8 | interleavedRgb[j + 2] & 0xFF;
        }
        return rgb;
    }

    /** Where the planes could not be recovered, TwelveMonkeys' own pixels are the better guess. */
    private static void keepUnmatchedBlocks(boolean[] unmatched, int[] tmRgb, int[] rgb, int width, int height) {
        int chromaWidth = (width + 1) / 2;
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                if (unmatched[(y / 2) * chromaWidth + x / 2]) {
                    rgb[y * width + x] = tmRgb[y * width + x];
                }
            }
        }
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
