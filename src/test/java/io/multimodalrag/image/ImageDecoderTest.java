package io.multimodalrag.image;

import com.fasterxml.jackson.databind.JsonNode;
import io.multimodalrag.image.ImageDecodingException.Reason;
import io.multimodalrag.testing.TestResources;
import io.multimodalrag.testing.TestResources.PixelDifference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The decoder against Pillow-made references (golden/decoded, see tools/make_preprocess_goldens.py), plus the
 * specific promises: alpha over white, grey without linear-gamma distortion, 16-bit rounding, GIF first frame,
 * EXIF orientation, and every bad input refused with the right reason.
 */
class ImageDecoderTest {

    private static final long DEFAULT_MAX_PIXELS = 50_000_000L;
    private static final int WHITE = 0xFFFFFF;

    private final ImageDecoder decoder = new ImageDecoder(DEFAULT_MAX_PIXELS);

    static Stream<Arguments> decodedReferences() {
        List<Arguments> cases = new ArrayList<>();
        for (JsonNode entry : TestResources.goldens().get("decoded")) {
            cases.add(Arguments.of(entry.get("source").asText(), entry.get("name").asText(),
                    entry.get("size").get(0).asInt(), entry.get("size").get(1).asInt(),
                    entry.path("rgbSha256").asText("")));
        }
        return cases.stream();
    }

    /**
     * Lossless formats and lossy WebP (decoded by libwebp itself, through webp-imageio, as Pillow does) must match
     * Pillow exactly; JPEG too in practice (the JDK's libjpeg and
     * libjpeg-turbo share the IDCT, upsampling and colour tables) but a couple of levels are allowed for other JDK
     * builds. A larger reference is kept only as a hash of its samples, so it must match exactly.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("decodedReferences")
    void decodesLikePillow(String source, String name, int width, int height, String rgbSha256) throws Exception {
        BufferedImage decoded = decoder.decode(TestResources.bytes(source));

        assertEquals(BufferedImage.TYPE_INT_RGB, decoded.getType(), source);
        assertEquals(width, decoded.getWidth(), source + " width");
        assertEquals(height, decoded.getHeight(), source + " height");
        if (!rgbSha256.isEmpty()) {
            assertEquals(rgbSha256, sha256OfSamples(decoded), source + ": the samples differ from Pillow's");
            return;
        }
        BufferedImage reference = TestResources.png("golden/decoded/" + name + ".png");
        PixelDifference difference = PixelDifference.between(decoded, reference);
        System.out.printf("decoded %-40s vs Pillow: %s%n", source, difference);
        if (source.endsWith(".jpg")) {
            assertTrue(difference.mean() <= 0.1 && difference.max() <= 2, source + ": " + difference);
        } else {
            assertEquals(0, difference.max(), source + ": " + difference);
        }
    }

    /**
     * Decoding into a caller's reused array gives the same image as a fresh decode, whatever the array held before
     * and however much longer it is, for every JPEG colour space and an EXIF-rotated one; only JPEGs use it, and an
     * upright JPEG's pixels really are in the caller's array.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"images/astronaut.jpg", "images/coffee.jpg", "images/edge/gray.jpg", "images/edge/cmyk.jpg",
            "images/edge/ycck.jpg", "images/edge/progressive.jpg", "images/edge/orientation_6.jpg",
            "images/chelsea.png"})
    void decodingIntoAReusedArrayGivesTheSamePixels(String source) {
        byte[] bytes = TestResources.bytes(source);
        BufferedImage fresh = decoder.decode(bytes);
        int[] reused = new int[fresh.getWidth() * fresh.getHeight() + 1000];
        Arrays.fill(reused, 0x7A5A3A);
        List<Integer> asked = new ArrayList<>();
        BufferedImage decoded = decoder.decode(bytes, length -> {
            asked.add(length);
            return reused;
        });

        assertEquals(BufferedImage.TYPE_INT_RGB, decoded.getType(), source);
        assertArrayEquals(TestResources.rgb(fresh), TestResources.rgb(decoded), source);
        boolean jpeg = source.endsWith(".jpg");
        assertEquals(jpeg, !asked.isEmpty(), source + ": whether the caller's array was asked for");
        boolean uprightJpeg = jpeg && !source.contains("orientation_6");
        if (uprightJpeg) {
            assertEquals(fresh.getWidth() * fresh.getHeight(), asked.get(0));
            assertSame(reused, ((DataBufferInt) decoded.getRaster().getDataBuffer()).getData(),
                    source + ": the pixels are in the caller's array");
        }
    }

    /**
     * libjpeg's own YCbCr → RGB (grey and plain YCbCr JPEGs) and the raster path's copy of its tables (other YCbCr
     * JPEGs, YCCK) give the same pixels, at sizes around the vector widths and the CLIP window, a single pixel included
     * (the last pixel of libjpeg's buffer is packed on its own): a JFIF file with an Adobe marker that says RGB is
     * YCbCr to libjpeg and Pillow (JFIF comes first) but not to the JDK's reader, so it takes the raster path.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"1x1", "7x9", "224x224", "225x17", "17x225", "640x8", "33x480", "1024x683"})
    void libjpegsConversionAndTheRasterPathsTablesAgree(String size) throws IOException {
        String[] wh = size.split("x");
        byte[] jfif = jpeg(photo(Integer.parseInt(wh[0]), Integer.parseInt(wh[1]), 3));
        byte[] rasterPath = withSegmentAfterApp0(jfif, 0xEE, adobeSegment(0));
        assertFalse(JpegStructure.scan(rasterPath).libjpegRgb(), "the variant must take the raster path");
        assertTrue(JpegStructure.scan(jfif).libjpegRgb());
        assertArrayEquals(TestResources.rgb(decoder.decode(rasterPath)), TestResources.rgb(decoder.decode(jfif)), size);
        // And the tables are libjpeg's: spot checks of jdcolor.c's results.
        assertEquals(0xFFFFFF, JpegRasterConverter.yCbCrToRgb(255, 128, 128));
        assertEquals(0x000000, JpegRasterConverter.yCbCrToRgb(0, 128, 128));
        assertEquals(0xFE0000, JpegRasterConverter.yCbCrToRgb(76, 85, 255));
    }

    /**
     * An embedded ICC profile is not applied (Pillow ignores it too): the pixels are libjpeg's, although the JDK's
     * reader would convert them into any other colour space.
     */
    @Test
    void anEmbeddedColourProfileChangesNoPixel() throws IOException {
        byte[] plain = jpeg(photo(320, 200, 7));
        byte[] profiled = withSegmentAfterApp0(plain, 0xE2, iccSegment(
                java.awt.color.ICC_Profile.getInstance(java.awt.color.ColorSpace.CS_LINEAR_RGB).getData()));
        assertTrue(JpegStructure.scan(profiled).libjpegRgb());
        assertArrayEquals(TestResources.rgb(decoder.decode(plain)), TestResources.rgb(decoder.decode(profiled)));
    }

    /** A YCbCr JPEG without the JFIF marker (component ids 1, 2, 3, as cameras write them) has the same pixels. */
    @Test
    void ycbcrWithoutJfifMarkerDecodesTheSame() throws IOException {
        byte[] jfif = jpeg(photo(200, 150, 17));
        byte[] bare = withoutApp0(jfif);
        assertTrue(JpegStructure.scan(bare).libjpegRgb());
        assertArrayEquals(TestResources.rgb(decoder.decode(jfif)), TestResources.rgb(decoder.decode(bare)));
    }

    /** bomb.jpg is progressive; the same header as a baseline frame is refused from the header alone too. */
    @Test
    @Timeout(value = 2, unit = TimeUnit.SECONDS)
    void aJpegDecompressionBombIsRefusedFromTheHeaderAlone() {
        byte[] bomb = TestResources.bytes("images/invalid/bomb.jpg");
        byte[] baseline = bomb.clone();
        for (int i = 2; i + 1 < baseline.length; i++) {
            if ((baseline[i] & 0xFF) == 0xFF && (baseline[i + 1] & 0xFF) == 0xC2) {
                baseline[i + 1] = (byte) 0xC0;
                break;
            }
        }
        for (byte[] bytes : new byte[][] {bomb, baseline}) {
            assertEquals(Reason.TOO_MANY_PIXELS, assertThrows(ImageDecodingException.class, () -> decoder.decode(bytes))
                    .reason());
        }
    }

    static BufferedImage photo(int width, int height, long seed) {
        // Smooth gradients with noise: chroma that subsampling and the IDCT actually change.
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        Random random = new Random(seed);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int r = (x * 255 / Math.max(1, width - 1) + random.nextInt(40)) & 0xFF;
                int g = (y * 255 / Math.max(1, height - 1) + random.nextInt(40)) & 0xFF;
                int b = ((x + y) * 3 + random.nextInt(40)) & 0xFF;
                image.setRGB(x, y, r << 16 | g << 8 | b);
            }
        }
        return image;
    }

    /** A baseline JFIF JPEG (4:2:0) from the JDK's writer. */
    static byte[] jpeg(BufferedImage image) throws IOException {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
            writer.setOutput(stream);
            writer.write(new IIOImage(image, null, null));
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }

    /** An APP14 "Adobe" payload with the given colour transform (0: RGB or CMYK, 1: YCbCr, 2: YCCK). */
    private static byte[] adobeSegment(int transform) {
        byte[] payload = new byte[12];
        System.arraycopy("Adobe".getBytes(StandardCharsets.US_ASCII), 0, payload, 0, 5);
        payload[6] = 100; // version
        payload[11] = (byte) transform;
        return payload;
    }

    /** An APP2 ICC_PROFILE payload in one chunk. */
    private static byte[] iccSegment(byte[] profile) {
        byte[] tag = "ICC_PROFILE\0".getBytes(StandardCharsets.US_ASCII);
        byte[] payload = new byte[tag.length + 2 + profile.length];
        System.arraycopy(tag, 0, payload, 0, tag.length);
        payload[tag.length] = 1;
        payload[tag.length + 1] = 1;
        System.arraycopy(profile, 0, payload, tag.length + 2, profile.length);
        return payload;
    }

    /** Inserts a marker segment with {@code payload} after the APP0 (JFIF) segment that follows SOI. */
    private static byte[] withSegmentAfterApp0(byte[] jpeg, int marker, byte[] payload) {
        int app0End = 4 + app0Length(jpeg);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(jpeg, 0, app0End);
        out.write(0xFF);
        out.write(marker);
        out.write((payload.length + 2) >> 8);
        out.write((payload.length + 2) & 0xFF);
        out.write(payload, 0, payload.length);
        out.write(jpeg, app0End, jpeg.length - app0End);
        return out.toByteArray();
    }

    /** Drops the APP0 (JFIF) segment that follows SOI. */
    private static byte[] withoutApp0(byte[] jpeg) {
        int length = app0Length(jpeg);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(jpeg, 0, 2);
        out.write(jpeg, 4 + length, jpeg.length - 4 - length);
        return out.toByteArray();
    }

    private static int app0Length(byte[] jpeg) {
        if ((jpeg[2] & 0xFF) != 0xFF || (jpeg[3] & 0xFF) != 0xE0) {
            throw new IllegalArgumentException("no APP0 after SOI");
        }
        return (jpeg[4] & 0xFF) << 8 | (jpeg[5] & 0xFF);
    }

    /** SHA-256 of the R, G, B samples, row-major, as tools/make_preprocess_goldens.py hashes Pillow's. */
    private static String sha256OfSamples(BufferedImage image) throws Exception {
        int[] pixels = TestResources.rgb(image);
        byte[] samples = new byte[pixels.length * 3];
        for (int i = 0; i < pixels.length; i++) {
            samples[3 * i] = (byte) (pixels[i] >> 16);
            samples[3 * i + 1] = (byte) (pixels[i] >> 8);
            samples[3 * i + 2] = (byte) pixels[i];
        }
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(samples));
    }

    @Test
    void transparentPixelsBecomeWhite() {
        BufferedImage rgba = decoder.decode(TestResources.bytes("images/edge/rgba.png"));
        // The script cleared alpha in rows 0-31, columns 64-127, over a saturated green.
        assertEquals(WHITE, rgba.getRGB(70, 10) & WHITE);
        assertEquals(WHITE, rgba.getRGB(127, 31) & WHITE);
        // Column 0 of the alpha ramp is fully transparent too.
        assertEquals(WHITE, rgba.getRGB(0, 100) & WHITE);

        BufferedImage webp = decoder.decode(TestResources.bytes("images/edge/lossless_alpha.webp"));
        assertEquals(WHITE, webp.getRGB(70, 50) & WHITE);

        // tRNS colour keys on RGB (1, 2, 3) and grey (77) images.
        assertEquals(WHITE, decoder.decode(TestResources.bytes("images/edge/rgb_trns.png")).getRGB(50, 30) & WHITE);
        assertEquals(WHITE, decoder.decode(TestResources.bytes("images/edge/gray_trns.png")).getRGB(60, 60) & WHITE);
    }

    @Test
    void paletteTransparencyIsCompositedOverWhite() {
        BufferedImage image = decoder.decode(TestResources.bytes("images/edge/palette_trns.png"));
        // Index 0: red, alpha 0 → white.
        assertEquals(WHITE, image.getRGB(30, 20) & WHITE);
        // Index 1: blue (0, 0, 255), alpha 128 → round(255 × 127 / 255) = 127 for red and green, 255 for blue.
        assertEquals(0x7F7FFF, image.getRGB(120, 70) & WHITE);
    }

    @Test
    void gifGivesTheFirstFrameWithItsTransparency() throws IOException {
        byte[] gif = TestResources.bytes("images/edge/animated.gif");
        BufferedImage decoded = decoder.decode(gif);
        // Frame 1 has a transparent rectangle at rows 5-24, columns 5-44; frame 2 does not.
        assertEquals(WHITE, decoded.getRGB(20, 10) & WHITE);

        BufferedImage secondFrame = readFrame(gif, 1);
        BufferedImage firstFrame = readFrame(gif, 0);
        double toFirst = PixelDifference.between(decoded, opaque(firstFrame)).mean();
        double toSecond = PixelDifference.between(decoded, opaque(secondFrame)).mean();
        assertTrue(toFirst < 2 && toSecond > 20, "first frame expected: mean distance to frame 1 " + toFirst
                + ", to frame 2 " + toSecond);
    }

    @Test
    void gifFirstFrameIsPlacedOnItsCanvasLikePillow() {
        // A 60×40 frame at (25, 15) on a 100×70 logical screen; palette entry 0 is (230, 20, 20).
        BufferedImage opaque = decoder.decode(TestResources.bytes("images/edge/gif_offset.gif"));
        assertEquals(100, opaque.getWidth());
        assertEquals(70, opaque.getHeight());
        assertEquals(0xE61414, opaque.getRGB(0, 0) & WHITE);
        assertEquals(0xE61414, opaque.getRGB(99, 69) & WHITE);

        // With a transparent index the uncovered canvas and the hole at frame rows 10-19, columns 20-39 are white.
        BufferedImage transparent = decoder.decode(TestResources.bytes("images/edge/gif_offset_transparent.gif"));
        assertEquals(WHITE, transparent.getRGB(0, 0) & WHITE);
        assertEquals(WHITE, transparent.getRGB(25 + 30, 15 + 15) & WHITE);
        assertEquals(opaque.getRGB(30, 20), transparent.getRGB(30, 20));
    }

    @Test
    void greyIsReplicatedWithoutGammaConversion() throws IOException {
        for (String source : List.of("images/edge/gray.png", "images/edge/gray.jpg")) {
            BufferedImage decoded = decoder.decode(TestResources.bytes(source));
            int[] pixels = TestResources.rgb(decoded);
            for (int pixel : pixels) {
                int red = pixel >> 16 & 0xFF;
                assertEquals(red * 0x010101, pixel, source + ": R = G = B expected");
            }
        }
        // The stored grey samples come through unchanged (Java's linear-grey colour space would alter them).
        BufferedImage raw = ImageIO.read(new ByteArrayInputStream(TestResources.bytes("images/edge/gray.png")));
        BufferedImage decoded = decoder.decode(TestResources.bytes("images/edge/gray.png"));
        for (int y = 0; y < raw.getHeight(); y += 7) {
            for (int x = 0; x < raw.getWidth(); x += 7) {
                assertEquals(raw.getRaster().getSample(x, y, 0), decoded.getRGB(x, y) & 0xFF, "grey at " + x + "," + y);
            }
        }
    }

    @Test
    void sixteenBitSamplesAreRoundedNotTruncated() {
        // Probes written by the script: 33024/257 = 128.498 → 128 (its high byte is 129); 33025 → 129.
        BufferedImage grey = decoder.decode(TestResources.bytes("images/edge/gray16.png"));
        assertEquals(128 * 0x010101, grey.getRGB(0, 0) & WHITE);
        assertEquals(129 * 0x010101, grey.getRGB(1, 0) & WHITE);

        // RGB probes: (33024, 33025, 65535) → (128, 129, 255); (128, 129, 0) → (0, 1, 0).
        BufferedImage rgb = decoder.decode(TestResources.bytes("images/edge/rgb16.png"));
        assertEquals(0x8081FF, rgb.getRGB(0, 0) & WHITE);
        assertEquals(0x000100, rgb.getRGB(1, 0) & WHITE);
    }

    @ParameterizedTest(name = "orientation {0}")
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8})
    void exifOrientationTurnsThePictureUpright(int orientation) throws IOException {
        // Every file holds the same 96×64 picture, stored transformed so that its orientation tag undoes it.
        byte[] bytes = TestResources.bytes("images/edge/orientation_" + orientation + ".jpg");
        int[] stored = storedSize(bytes);
        boolean swapped = orientation >= 5;
        assertArrayEquals(swapped ? new int[] {64, 96} : new int[] {96, 64}, stored, "stored size");

        BufferedImage decoded = decoder.decode(bytes);
        BufferedImage upright = decoder.decode(TestResources.bytes("images/edge/orientation_1.jpg"));
        assertEquals(96, decoded.getWidth());
        assertEquals(64, decoded.getHeight());
        // Each file was JPEG-compressed in its own orientation, so allow compression noise; a wrong turn or
        // mirror would be off by tens of levels on average.
        PixelDifference difference = PixelDifference.between(decoded, upright);
        assertTrue(difference.mean() < 2.5 && difference.max() <= 16, "orientation " + orientation + ": " + difference);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"orientation_6.png", "orientation_6.webp"})
    void exifOrientationIsHonouredOutsideJpegToo(String file) throws IOException {
        byte[] bytes = TestResources.bytes("images/edge/" + file);
        BufferedImage stored = ImageIO.read(new ByteArrayInputStream(bytes)); // lossless, no EXIF applied
        assertEquals(64, stored.getWidth());
        assertEquals(96, stored.getHeight());

        BufferedImage decoded = decoder.decode(bytes);
        assertEquals(96, decoded.getWidth());
        assertEquals(64, decoded.getHeight());
        // Orientation 6 means "rotate 90° clockwise to view": output (x, y) comes from stored (y, height − 1 − x).
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 96; x++) {
                assertEquals(stored.getRGB(y, 95 - x) & WHITE, decoded.getRGB(x, y) & WHITE, file + " at " + x + "," + y);
            }
        }
    }

    @Test
    void cmykAndYcckUseTheBlackChannel() {
        // Both files hold the cat with full grey-component replacement; against Pillow they are exact (see the
        // references test). Here: dark fur must really be dark, which only happens if K is applied.
        for (String source : List.of("images/edge/cmyk.jpg", "images/edge/ycck.jpg")) {
            BufferedImage decoded = decoder.decode(TestResources.bytes(source));
            BufferedImage plainRgb = TestResources.png("golden/decoded/edge_" + source.substring(12).replace('.', '_') + ".png");
            assertTrue(PixelDifference.between(decoded, plainRgb).max() <= 2, source);
            int darkest = Arrays.stream(TestResources.rgb(decoded)).map(p -> Math.max(p >> 16 & 0xFF, p & 0xFF)).min().orElseThrow();
            assertTrue(darkest < 40, source + ": darkest pixel " + darkest);
        }
    }

    static Stream<Arguments> invalidInputs() {
        return Stream.of(
                Arguments.of("empty.jpg", Reason.EMPTY),
                Arguments.of("text.txt", Reason.NOT_AN_IMAGE),
                Arguments.of("document.pdf", Reason.NOT_AN_IMAGE),
                Arguments.of("image.tif", Reason.UNSUPPORTED_FORMAT),
                Arguments.of("truncated.jpg", Reason.CORRUPT),
                Arguments.of("truncated_progressive.jpg", Reason.CORRUPT),
                Arguments.of("truncated.png", Reason.CORRUPT),
                Arguments.of("bad_crc.png", Reason.CORRUPT),
                Arguments.of("garbled_idat.png", Reason.CORRUPT),
                Arguments.of("bomb.png", Reason.TOO_MANY_PIXELS),
                Arguments.of("bomb.jpg", Reason.TOO_MANY_PIXELS));
    }

    @ParameterizedTest(name = "{0} → {1}")
    @MethodSource("invalidInputs")
    void refusesBadInputWithTheRightReason(String file, Reason reason) {
        ImageDecodingException e = assertThrows(ImageDecodingException.class,
                () -> decoder.decode(TestResources.bytes("images/invalid/" + file)));
        assertEquals(reason, e.reason(), e.getMessage());
        assertSafeForClients(e.getMessage());
    }

    @Test
    void nullIsEmpty() {
        assertEquals(Reason.EMPTY, assertThrows(ImageDecodingException.class, () -> decoder.decode(null)).reason());
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.SECONDS)
    void decompressionBombIsRefusedFromTheHeaderAlone() {
        byte[] bomb = TestResources.bytes("images/invalid/bomb.png");
        assertTrue(bomb.length < 1000, "the bomb is " + bomb.length + " bytes");
        // 100000 × 100000 RGB would need 40 GB as TYPE_INT_RGB: only a header check can answer this quickly.
        long start = System.nanoTime();
        ImageDecodingException e = assertThrows(ImageDecodingException.class, () -> decoder.decode(bomb));
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertEquals(Reason.TOO_MANY_PIXELS, e.reason());
        assertEquals("the image is 100000×100000 = 10000 megapixels, above the limit of 50 megapixels;"
                + " downscale it and upload it again", e.getMessage());
        assertTrue(millis < 1000, "took " + millis + " ms");
    }

    @Test
    void pixelLimitIsConfigurable() {
        byte[] coffee = TestResources.bytes("images/coffee.jpg"); // 600 × 400 = 240 000 pixels
        assertEquals(600, new ImageDecoder(240_000).decode(coffee).getWidth());
        ImageDecodingException e = assertThrows(ImageDecodingException.class, () -> new ImageDecoder(239_999).decode(coffee));
        assertEquals(Reason.TOO_MANY_PIXELS, e.reason());
        assertEquals("the image is 600×400 = 0.24 megapixels, above the limit of 0.24 megapixels;"
                + " downscale it and upload it again", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ImageDecoder(0));
    }

    @Test
    void truncatedJpegWithAnEndMarkerIsStillRefused() {
        // Cut mid-scan and patched with EOI: the structure check passes, libjpeg's "premature end" warning catches it.
        byte[] jpeg = TestResources.bytes("images/coffee.jpg");
        byte[] cut = Arrays.copyOf(jpeg, jpeg.length / 2 + 2);
        cut[cut.length - 2] = (byte) 0xFF;
        cut[cut.length - 1] = (byte) 0xD9;
        ImageDecodingException e = assertThrows(ImageDecodingException.class, () -> decoder.decode(cut));
        assertEquals(Reason.CORRUPT, e.reason());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "HEIC, UNSUPPORTED_FORMAT",
            "AVIF, UNSUPPORTED_FORMAT",
            "SVG, UNSUPPORTED_FORMAT",
            "JPEG XL, UNSUPPORTED_FORMAT",
            "BM text, NOT_AN_IMAGE",
            "random, NOT_AN_IMAGE"})
    void recognisesFormatsItDoesNotDecode(String kind, Reason reason) {
        byte[] bytes = switch (kind) {
            case "HEIC" -> concat(new byte[] {0, 0, 0, 24}, ascii("ftypheic\0\0\0\0mif1heic"));
            case "AVIF" -> concat(new byte[] {0, 0, 0, 28}, ascii("ftypavif\0\0\0\0avifmif1miaf"));
            case "SVG" -> ascii("<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
            case "JPEG XL" -> new byte[] {(byte) 0xFF, 0x0A, 1, 2, 3, 4};
            case "BM text" -> ascii("BMW owners club newsletter, spring edition");
            default -> randomBytes(64);
        };
        ImageDecodingException e = assertThrows(ImageDecodingException.class, () -> decoder.decode(bytes));
        assertEquals(reason, e.reason(), e.getMessage());
        assertSafeForClients(e.getMessage());
    }

    @ParameterizedTest(name = "{0} → {1}")
    @CsvSource({
            "images/coffee.jpg, image/jpeg",
            "images/edge/progressive.jpg, image/jpeg",
            "images/chelsea.png, image/png",
            "images/edge/lossy.webp, image/webp",
            "images/edge/lossless_alpha.webp, image/webp",
            "images/edge/animated.gif, image/gif",
            "images/edge/bmp24.bmp, image/bmp"})
    void sniffsMimeTypeFromMagicBytes(String source, String mimeType) {
        byte[] header = Arrays.copyOf(TestResources.bytes(source), 32);
        assertEquals(Optional.of(mimeType), ImageDecoder.mimeType(header));
    }

    @Test
    void sniffsNothingFromNonImages() {
        assertEquals(Optional.empty(), ImageDecoder.mimeType(null));
        assertEquals(Optional.empty(), ImageDecoder.mimeType(new byte[0]));
        assertEquals(Optional.empty(), ImageDecoder.mimeType(new byte[] {(byte) 0xFF, (byte) 0xD8}));
        assertEquals(Optional.empty(), ImageDecoder.mimeType(TestResources.bytes("images/invalid/text.txt")));
        assertEquals(Optional.empty(), ImageDecoder.mimeType(TestResources.bytes("images/invalid/document.pdf")));
        assertEquals(Optional.empty(), ImageDecoder.mimeType(TestResources.bytes("images/invalid/image.tif")));
        assertEquals(Optional.empty(), ImageDecoder.mimeType(ascii("BMW owners club newsletter")));
    }

    @Test
    void isSafeToShareBetweenThreads() throws Exception {
        List<String> sources = List.of("images/coffee.jpg", "images/chelsea.png", "images/edge/ycck.jpg",
                "images/edge/lossy.webp", "images/edge/animated.gif", "images/edge/orientation_6.jpg",
                "images/edge/rgb16.png", "images/edge/bmp24.bmp");
        List<int[]> expected = sources.stream().map(s -> TestResources.rgb(decoder.decode(TestResources.bytes(s)))).toList();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int round = 0; round < 6; round++) {
                for (int i = 0; i < sources.size(); i++) {
                    int index = i;
                    results.add(pool.submit(() -> Arrays.equals(expected.get(index),
                            TestResources.rgb(decoder.decode(TestResources.bytes(sources.get(index)))))));
                }
            }
            for (Future<Boolean> result : results) {
                assertTrue(result.get(30, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Damaged files in many shapes (flipped bytes, cuts, zeroed runs) must end as a decoded image or an
     * ImageDecodingException — never another exception, never an Error.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void damagedFilesOnlyEverThrowImageDecodingException() {
        ImageDecoder smallLimit = new ImageDecoder(2_000_000);
        Random random = new Random(20240611);
        List<String> sources = List.of("images/edge/progressive.jpg", "images/edge/cmyk.jpg", "images/edge/gray.png",
                "images/edge/palette_trns.png", "images/edge/animated.gif", "images/edge/bmp24.bmp",
                "images/edge/lossy.webp", "images/edge/lossless_alpha.webp", "images/edge/orientation_6.jpg",
                "images/edge/vp8_libvpx_deltas_8_partitions.webp", "images/edge/vp8_simple_sharpness5_one_segment.webp");
        int refused = 0;
        int decoded = 0;
        for (String source : sources) {
            byte[] original = TestResources.bytes(source);
            for (int variant = 0; variant < 60; variant++) {
                byte[] damaged = damage(original, random);
                try {
                    BufferedImage image = smallLimit.decode(damaged);
                    assertEquals(BufferedImage.TYPE_INT_RGB, image.getType());
                    decoded++;
                } catch (ImageDecodingException expected) {
                    assertSafeForClients(expected.getMessage());
                    refused++;
                } catch (Throwable other) {
                    fail(source + " variant " + variant + " escaped as " + other, other);
                }
            }
        }
        System.out.printf("damaged inputs: %d decoded, %d refused%n", decoded, refused);
        assertTrue(refused > 0);
    }

    private static byte[] damage(byte[] original, Random random) {
        byte[] copy = original.clone();
        switch (random.nextInt(3)) {
            case 0 -> {
                for (int i = 0; i < 1 + random.nextInt(8); i++) {
                    copy[random.nextInt(copy.length)] ^= (byte) (1 + random.nextInt(255));
                }
            }
            case 1 -> copy = Arrays.copyOf(copy, 1 + random.nextInt(copy.length - 1));
            default -> {
                int start = random.nextInt(copy.length);
                Arrays.fill(copy, start, Math.min(copy.length, start + 1 + random.nextInt(64)), (byte) random.nextInt(256));
            }
        }
        return copy;
    }

    private static void assertSafeForClients(String message) {
        assertFalse(message == null || message.isBlank(), "message expected");
        for (String leak : List.of("Exception", "java.", "javax.", "com.", "\tat ", ".java", "/tmp", "/work", "null")) {
            assertFalse(message.contains(leak), "client message leaks '" + leak + "': " + message);
        }
        assertTrue(message.contains(";"), "message should say what to do next: " + message);
    }

    private static int[] storedSize(byte[] jpeg) throws IOException {
        try (ImageInputStream input = ImageIO.createImageInputStream(new ByteArrayInputStream(jpeg))) {
            ImageReader reader = ImageIO.getImageReaders(input).next();
            try {
                reader.setInput(input);
                return new int[] {reader.getWidth(0), reader.getHeight(0)};
            } finally {
                reader.dispose();
            }
        }
    }

    private static BufferedImage readFrame(byte[] gif, int index) throws IOException {
        try (ImageInputStream input = ImageIO.createImageInputStream(new ByteArrayInputStream(gif))) {
            ImageReader reader = ImageIO.getImageReadersByFormatName("gif").next();
            try {
                reader.setInput(input);
                return reader.read(index);
            } finally {
                reader.dispose();
            }
        }
    }

    /** A frame as plain RGB with transparency over white, for distance comparisons. */
    private static BufferedImage opaque(BufferedImage frame) {
        return OpaqueRgbConverter.convert(frame);
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] concat(byte[] first, byte[] second) {
        byte[] joined = Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, joined, first.length, second.length);
        return joined;
    }

    private static byte[] randomBytes(int length) {
        byte[] bytes = new byte[length];
        new Random(7).nextBytes(bytes);
        return bytes;
    }

    @ParameterizedTest
    @CsvSource({"images/edge/orientation_1.jpg, false", "images/edge/orientation_3.jpg, true",
            "images/edge/orientation_6.jpg, true", "images/edge/orientation_6.png, true",
            "images/edge/orientation_6.webp, true", "images/chelsea_small.png, false", "images/edge/bmp24.bmp, false"})
    void isStoredRotatedSaysWhetherDecodeTurnsThePicture(String resource, boolean rotated) {
        assertEquals(rotated, ImageDecoder.isStoredRotated(TestResources.bytes(resource)));
    }
}
