package io.multimodalrag.clip;

import com.fasterxml.jackson.databind.JsonNode;
import io.multimodalrag.image.ImageDecoder;
import io.multimodalrag.testing.TestResources;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The preprocess against references made by Pillow 9.4 + torchvision 0.14 running CLIP's own transform
 * (tools/make_preprocess_goldens.py): every valid fixture is decoded with {@link ImageDecoder}, preprocessed, and
 * compared with (golden PNG / 255 − mean) / std, plus the recorded per-channel statistics of torch's tensor.
 */
class ClipPreprocessorTest {

    private static final int SIZE = 224;
    /** Tolerances in normalised units; one 8-bit level is about 0.015. */
    private static final double MAX_MEAN_DIFFERENCE = 0.005;
    private static final double MAX_DIFFERENCE = 0.05;
    private static final Map<String, String> REPORT = new ConcurrentSkipListMap<>();

    private final ImageDecoder decoder = new ImageDecoder(50_000_000L);
    private final ClipPreprocessor preprocessor = new ClipPreprocessor(SIZE);
    /** The kernel the JVM does not pick by default: the tests run with the Vector API module. */
    private final ClipPreprocessor scalarPreprocessor = new ClipPreprocessor(SIZE, ResampleKernel.choose(false));

    static Stream<Arguments> goldens() {
        List<Arguments> cases = new ArrayList<>();
        for (JsonNode entry : TestResources.goldens().get("preprocess")) {
            cases.add(Arguments.of(entry.get("source").asText(), entry));
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("goldens")
    void matchesClipsTorchvisionTransform(String source, JsonNode golden) {
        BufferedImage decoded = decoder.decode(TestResources.bytes(source));
        assertEquals(golden.get("originalSize").get(0).asInt(), decoded.getWidth(), source + " width");
        assertEquals(golden.get("originalSize").get(1).asInt(), decoded.getHeight(), source + " height");
        ClipCropGeometry geometry = ClipCropGeometry.of(decoded.getWidth(), decoded.getHeight(), SIZE);
        assertEquals(new ClipCropGeometry(golden.get("resizedSize").get(0).asInt(), golden.get("resizedSize").get(1).asInt(),
                golden.get("cropOffset").get(0).asInt(), golden.get("cropOffset").get(1).asInt()), geometry, source);

        float[] tensor = preprocessor.preprocess(decoded);
        assertEquals(3 * SIZE * SIZE, tensor.length);
        assertArrayEquals(tensor, scalarPreprocessor.preprocess(decoded), source + ": the scalar kernel differs");
        float[] expected = normalised(TestResources.png("golden/preprocess/" + golden.get("name").asText() + ".png"));

        double sum = 0;
        double max = 0;
        for (int i = 0; i < tensor.length; i++) {
            double difference = Math.abs(tensor[i] - expected[i]);
            sum += difference;
            max = Math.max(max, difference);
        }
        double mean = sum / tensor.length;
        double[] channelMean = channelMeans(tensor);
        double worstChannelMean = 0;
        for (int channel = 0; channel < 3; channel++) {
            worstChannelMean = Math.max(worstChannelMean,
                    Math.abs(channelMean[channel] - golden.get("channelMean").get(channel).asDouble()));
        }
        String figures = String.format(Locale.ROOT, "mean |Δ| %.6f, max |Δ| %.6f, worst channel-mean Δ %.2e",
                mean, max, worstChannelMean);
        REPORT.put(source, figures);

        assertTrue(mean <= MAX_MEAN_DIFFERENCE && max <= MAX_DIFFERENCE, source + ": " + figures);
        // The recorded means come from torch's float32 tensor, so they also check MEAN, STD and the CHW layout.
        assertTrue(worstChannelMean <= 1e-4, source + ": " + figures);
        for (int channel = 0; channel < 3; channel++) {
            double std = channelStd(tensor, channel, channelMean[channel]);
            assertEquals(golden.get("channelStd").get(channel).asDouble(), std, 1e-4,
                    source + " channel " + channel + " std");
        }
    }

    @AfterAll
    static void printReport() {
        System.out.println("CLIP preprocess vs Pillow/torchvision goldens (normalised units):");
        REPORT.forEach((source, figures) -> System.out.printf("  %-40s %s%n", source, figures));
    }

    /**
     * Pillow's bicubic on a 7×5 and a 9×3 image built here, values printed by Pillow 9.4
     * ({@code Image.fromarray(pixels).resize((w, h), Image.BICUBIC)}); see tinyResizeCases in goldens.json.
     */
    @Test
    void resizesTinyImagesExactlyLikePillow() {
        assertArrayEquals(new int[] {
                36, 4, 129, 120, 12, 127, 207, 31, 129,
                62, 32, 129, 148, 40, 127, 196, 59, 129},
                resizeSynthetic(7, 5, 3, 2));
        assertArrayEquals(new int[] {
                24, 1, 147, 105, 8, 126, 184, 27, 126, 53, 54, 147,
                27, 1, 137, 108, 8, 127, 187, 27, 127, 56, 54, 137,
                33, 3, 116, 114, 10, 129, 193, 29, 129, 62, 56, 116,
                39, 6, 116, 120, 13, 129, 199, 32, 129, 68, 59, 116,
                45, 11, 137, 126, 18, 127, 205, 37, 127, 74, 64, 137,
                48, 14, 147, 129, 21, 126, 208, 40, 126, 77, 67, 147},
                resizeSynthetic(9, 3, 4, 6));
        for (JsonNode tiny : TestResources.goldens().get("tinyResizeCases")) {
            int[] expected = new int[tiny.get("rgb").size()];
            for (int i = 0; i < expected.length; i++) {
                expected[i] = tiny.get("rgb").get(i).asInt();
            }
            assertArrayEquals(expected, resizeSynthetic(tiny.get("size").get(0).asInt(), tiny.get("size").get(1).asInt(),
                    tiny.get("resizedSize").get(0).asInt(), tiny.get("resizedSize").get(1).asInt()), tiny.toString());
        }
    }

    @Test
    void windowOfAResizeEqualsTheSameRegionOfTheFullResize() {
        int[] pixels = syntheticPixels(97, 61);
        int[] full = PackedResize.resize(pixels, 97, 61, 150, 40);
        int[] window = PackedResize.resizeWindow(pixels, 97, 61, 150, 40, 33, 7, 100, 30);
        for (int y = 0; y < 30; y++) {
            for (int x = 0; x < 100; x++) {
                assertEquals(full[(y + 7) * 150 + x + 33], window[y * 100 + x], "at " + x + "," + y);
            }
        }
    }

    @ParameterizedTest(name = "{0}×{1} → {2}×{3}")
    @CsvSource({
            // long side int(224 × long / short), truncated: 335.74 → 335, 473.5 → 473, 229.96 → 229
            "640, 427, 335, 224",
            "202, 427, 224, 473",
            "463, 451, 229, 224",
            "1000, 250, 896, 224",
            "150, 100, 336, 224",
            "512, 512, 224, 224",
            "224, 225, 224, 225",
            "1, 1000, 224, 224000"})
    void resizesTheShortestSideAndTruncatesTheLongOne(int width, int height, int resizedWidth, int resizedHeight) {
        ClipCropGeometry geometry = ClipCropGeometry.of(width, height, SIZE);
        assertEquals(resizedWidth, geometry.resizedWidth());
        assertEquals(resizedHeight, geometry.resizedHeight());
    }

    @ParameterizedTest(name = "resized long side {0} → offset {1}")
    @CsvSource({
            // (long - 224) / 2 = 0.5, 1.5, 2.5, 3.5, 124.5: Python's round() goes to the even neighbour
            "225, 0",
            "227, 2",
            "229, 2",
            "231, 4",
            "473, 124",
            "226, 1",
            "224, 0"})
    void centreCropRoundsHalfToEven(int longSide, int offset) {
        assertEquals(offset, ClipCropGeometry.of(longSide, SIZE, SIZE).cropLeft());
        assertEquals(0, ClipCropGeometry.of(longSide, SIZE, SIZE).cropTop());
        assertEquals(offset, ClipCropGeometry.of(SIZE, longSide, SIZE).cropTop());
    }

    @Test
    void cropOffsetReachesThePixels() {
        // 225×224 is not resized; banker's rounding crops from column 0, so the last source column is dropped.
        BufferedImage image = new BufferedImage(225, SIZE, BufferedImage.TYPE_INT_RGB);
        for (int x = 0; x < 225; x++) {
            for (int y = 0; y < SIZE; y++) {
                image.setRGB(x, y, x << 16);
            }
        }
        float[] tensor = preprocessor.preprocess(image);
        assertEquals(normalise(0, 0), tensor[0], 0f);
        assertEquals(normalise(223, 0), tensor[SIZE - 1], 0f);
    }

    @Test
    void normalisesEachChannelIntoItsOwnPlane() {
        // 224×224 needs neither resize nor crop, so this checks ToTensor + Normalize + CHW layout alone.
        BufferedImage image = new BufferedImage(SIZE, SIZE, BufferedImage.TYPE_INT_RGB);
        image.setRGB(0, 0, 0xFF0080);
        image.setRGB(5, 3, 0x10E0C8);
        float[] tensor = preprocessor.preprocess(image);
        int plane = SIZE * SIZE;
        assertEquals((1f - ClipPreprocessor.MEAN[0]) / ClipPreprocessor.STD[0], tensor[0], 0f);
        assertEquals((0f - ClipPreprocessor.MEAN[1]) / ClipPreprocessor.STD[1], tensor[plane], 0f);
        assertEquals((128 / 255f - ClipPreprocessor.MEAN[2]) / ClipPreprocessor.STD[2], tensor[2 * plane], 0f);
        int index = 3 * SIZE + 5;
        assertEquals(normalise(0x10, 0), tensor[index], 0f);
        assertEquals(normalise(0xE0, 1), tensor[plane + index], 0f);
        assertEquals(normalise(0xC8, 2), tensor[2 * plane + index], 0f);
        assertEquals(normalise(0, 1), tensor[plane + 1], 0f);
    }

    @Test
    void writesIntoABatchBufferAtItsPosition() {
        ClipPreprocessor small = new ClipPreprocessor(32);
        int length = 3 * 32 * 32;
        BufferedImage first = TestResources.png("golden/preprocess/chelsea_png.png");
        BufferedImage second = decoder.decode(TestResources.bytes("images/rocket_tall.png"));
        FloatBuffer batch = ByteBuffer.allocateDirect(4 * (2 * length + 7)).order(ByteOrder.nativeOrder()).asFloatBuffer();
        for (int i = 0; i < batch.capacity(); i++) {
            batch.put(i, Float.NaN);
        }
        batch.position(5);

        small.preprocess(first, batch);
        assertEquals(5 + length, batch.position());
        small.preprocess(second, batch);
        assertEquals(5 + 2 * length, batch.position());

        float[] expectedFirst = small.preprocess(first);
        float[] expectedSecond = small.preprocess(second);
        for (int i = 0; i < length; i++) {
            assertEquals(expectedFirst[i], batch.get(5 + i), 0f);
            assertEquals(expectedSecond[i], batch.get(5 + length + i), 0f);
        }
        for (int i : new int[] {0, 4, 5 + 2 * length, batch.capacity() - 1}) {
            assertTrue(Float.isNaN(batch.get(i)), "untouched slot " + i);
        }

        IllegalArgumentException full = assertThrows(IllegalArgumentException.class, () -> small.preprocess(first, batch));
        assertTrue(full.getMessage().contains(String.valueOf(length)), full.getMessage());
    }

    /**
     * With a helper taking half of the resize (a lone image), one that never starts, or none, the tensor is the
     * one-thread tensor, written at the batch slot's position and nowhere else: photos, and sizes that skip one resize
     * pass, upscale, or are a single pixel.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("helperCases")
    void aHelperChangesNoValue(String source) {
        BufferedImage image = source.startsWith("made:") ? madeImage(source.substring(5)) : decoder.decode(TestResources.bytes(source));
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (ClipPreprocessor pre : new ClipPreprocessor[] {preprocessor, scalarPreprocessor}) {
                float[] expected = pre.preprocess(image);
                for (Executor helper : new Executor[] {pool, RangeSplit.SEQUENTIAL, command -> { }}) {
                    FloatBuffer batch = FloatBuffer.allocate(expected.length + 20);
                    for (int i = 0; i < batch.capacity(); i++) {
                        batch.put(i, -7f);
                    }
                    batch.position(10);
                    pre.preprocess(image, batch, helper);
                    assertEquals(10 + expected.length, batch.position(), "the position moves past the tensor");
                    float[] actual = new float[expected.length];
                    batch.get(10, actual);
                    assertArrayEquals(expected, actual, source);
                    assertEquals(-7f, batch.get(9));
                    assertEquals(-7f, batch.get(10 + expected.length));
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    static Stream<String> helperCases() {
        return Stream.of("images/astronaut.jpg", "images/coffee.jpg", "images/hubble_panorama.jpg", "images/rocket.jpg",
                "made:224x224", "made:224x300", "made:300x224", "made:100x80", "made:1x1", "made:17x500", "made:500x17");
    }

    private static BufferedImage madeImage(String size) {
        String[] wh = size.split("x");
        BufferedImage image = new BufferedImage(Integer.parseInt(wh[0]), Integer.parseInt(wh[1]), BufferedImage.TYPE_INT_RGB);
        Random random = new Random(image.getWidth() * 31L + image.getHeight());
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                image.setRGB(x, y, random.nextInt(1 << 24));
            }
        }
        return image;
    }

    @Test
    void acceptsOtherImageTypesAsTheirRgb() {
        BufferedImage decoded = decoder.decode(TestResources.bytes("images/chelsea_small.png"));
        BufferedImage bgr = new BufferedImage(decoded.getWidth(), decoded.getHeight(), BufferedImage.TYPE_3BYTE_BGR);
        bgr.getGraphics().drawImage(decoded, 0, 0, null);
        assertArrayEquals(preprocessor.preprocess(decoded), preprocessor.preprocess(bgr), 0f);
        // A sub-image is not the whole pixel buffer: it must be read through its own window.
        BufferedImage padded = new BufferedImage(decoded.getWidth() + 3, decoded.getHeight() + 2, BufferedImage.TYPE_INT_RGB);
        padded.getGraphics().drawImage(decoded, 3, 2, null);
        assertArrayEquals(preprocessor.preprocess(decoded),
                preprocessor.preprocess(padded.getSubimage(3, 2, decoded.getWidth(), decoded.getHeight())), 0f);
    }

    @Test
    void rejectsNonsenseSizes() {
        assertThrows(IllegalArgumentException.class, () -> new ClipPreprocessor(0));
        assertEquals(224, preprocessor.imageSize());
    }

    private static int[] resizeSynthetic(int width, int height, int newWidth, int newHeight) {
        int[] resized = PackedResize.resize(syntheticPixels(width, height), width, height, newWidth, newHeight);
        int[] samples = new int[resized.length * 3];
        for (int i = 0; i < resized.length; i++) {
            samples[3 * i] = resized[i] >> 16 & 0xFF;
            samples[3 * i + 1] = resized[i] >> 8 & 0xFF;
            samples[3 * i + 2] = resized[i] & 0xFF;
        }
        return samples;
    }

    /** The script's synthetic pattern: R = (37x + 11y) mod 256, G = (x² + 3y²) mod 256, B = checkerboard 255/0. */
    private static int[] syntheticPixels(int width, int height) {
        int[] pixels = new int[width * height];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int red = (x * 37 + y * 11) % 256;
                int green = (x * x + 3 * y * y) % 256;
                int blue = (x + y) % 2 == 0 ? 255 : 0;
                pixels[y * width + x] = red << 16 | green << 8 | blue;
            }
        }
        return pixels;
    }

    /** (3, S, S) reference tensor from a 224×224 golden: ToTensor + Normalize in float32. */
    private static float[] normalised(BufferedImage golden) {
        int plane = SIZE * SIZE;
        float[] tensor = new float[3 * plane];
        int[] pixels = TestResources.rgb(golden);
        for (int channel = 0; channel < 3; channel++) {
            for (int i = 0; i < plane; i++) {
                tensor[channel * plane + i] = normalise(pixels[i] >> (16 - 8 * channel) & 0xFF, channel);
            }
        }
        return tensor;
    }

    private static float normalise(int value, int channel) {
        return (value / 255f - ClipPreprocessor.MEAN[channel]) / ClipPreprocessor.STD[channel];
    }

    private static double[] channelMeans(float[] tensor) {
        int plane = tensor.length / 3;
        double[] means = new double[3];
        for (int channel = 0; channel < 3; channel++) {
            double sum = 0;
            for (int i = 0; i < plane; i++) {
                sum += tensor[channel * plane + i];
            }
            means[channel] = sum / plane;
        }
        return means;
    }

    private static double channelStd(float[] tensor, int channel, double mean) {
        int plane = tensor.length / 3;
        double sum = 0;
        for (int i = 0; i < plane; i++) {
            double d = tensor[channel * plane + i] - mean;
            sum += d * d;
        }
        return Math.sqrt(sum / plane);
    }
}
