package io.multimodalrag.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * Test fixtures on the classpath (src/test/resources), made by tools/make_preprocess_goldens.py.
 */
public final class TestResources {

    private static final String GOLDENS_JSON = "golden/preprocess/goldens.json";

    private TestResources() {
    }

    /** The bytes of a resource, e.g. {@code images/edge/cmyk.jpg}. */
    public static byte[] bytes(String path) {
        try (InputStream in = TestResources.class.getClassLoader().getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException(path + " is not on the test classpath; run tools/make_preprocess_goldens.py");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A reference PNG read with plain ImageIO (independent of the decoder under test). */
    public static BufferedImage png(String path) {
        try {
            BufferedImage image = ImageIO.read(new java.io.ByteArrayInputStream(bytes(path)));
            if (image == null) {
                throw new IllegalStateException(path + " is not a PNG ImageIO can read");
            }
            return image;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** goldens.json: per-image preprocess references, decoded references and tiny resize cases. */
    public static JsonNode goldens() {
        try {
            return new ObjectMapper().readTree(bytes(GOLDENS_JSON));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Packed 0xRRGGBB pixels of any image, row-major. */
    public static int[] rgb(BufferedImage image) {
        int[] pixels = image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] &= 0xFFFFFF;
        }
        return pixels;
    }

    /** Per-sample absolute differences of two same-sized images, in 8-bit levels. */
    public record PixelDifference(double mean, int max, int differingSamples) {

        public static PixelDifference between(BufferedImage actual, BufferedImage expected) {
            if (actual.getWidth() != expected.getWidth() || actual.getHeight() != expected.getHeight()) {
                throw new AssertionError("size " + actual.getWidth() + "×" + actual.getHeight() + " but expected "
                        + expected.getWidth() + "×" + expected.getHeight());
            }
            int[] a = rgb(actual);
            int[] e = rgb(expected);
            long sum = 0;
            int max = 0;
            int differing = 0;
            for (int i = 0; i < a.length; i++) {
                for (int shift = 0; shift < 24; shift += 8) {
                    int difference = Math.abs((a[i] >> shift & 0xFF) - (e[i] >> shift & 0xFF));
                    sum += difference;
                    max = Math.max(max, difference);
                    differing += difference > 0 ? 1 : 0;
                }
            }
            return new PixelDifference(sum / (3.0 * a.length), max, differing);
        }

        @Override
        public String toString() {
            return String.format(java.util.Locale.ROOT, "mean %.4f, max %d levels, %d samples differ", mean, max, differingSamples);
        }
    }

    /** {@code data} deflated (zlib) at the best compression: zeros give a thousandfold bomb. */
    public static byte[] deflate(byte[] data) {
        java.util.zip.Deflater deflater = new java.util.zip.Deflater(java.util.zip.Deflater.BEST_COMPRESSION);
        deflater.setInput(data);
        deflater.finish();
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        byte[] buffer = new byte[64 * 1024];
        while (!deflater.finished()) {
            out.write(buffer, 0, deflater.deflate(buffer));
        }
        deflater.end();
        return out.toByteArray();
    }

    /**
     * A JPEG APP1 payload holding an XMP packet of well-formed XML nested 8,000 elements deep: a general XMP parser
     * overflows its stack on it.
     */
    public static byte[] nestedXmpPacket() {
        int depth = 8_000;
        return ("http://ns.adobe.com/xap/1.0/\0" + "<a>".repeat(depth) + "</a>".repeat(depth))
                .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }
}
