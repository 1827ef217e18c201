package io.multimodalrag.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The Vector API conversion against libjpeg's table lookups: every one of the 2²⁴ (Y, Cb, Cr) inputs, and ranges
 * that start and end off the vector grid or run up to the end of the samples (the scalar tail). At this machine's
 * vector width only: the Vector API compiles to vector instructions only for a species held in a constant.
 */
class YCbCrToRgbTest {

    private static final YCbCrToRgb SCALAR = YCbCrToRgb.choose(false);

    @Test
    void theTestsRunTheVectorConversion() {
        // The pom starts the test JVM with the Vector API module; without it this class would compare scalar to scalar.
        String vector = YCbCrToRgb.choose(true).description();
        assertTrue(vector.startsWith("Vector API"), vector);
        assertTrue(SCALAR.description().startsWith("scalar"), SCALAR.description());
        assertEquals(vector, ImageDecoder.jpegColourConversion(), "what the decoder uses");
    }

    @Test
    void everyInputGivesLibjpegsValue() {
        YCbCrToRgb vector = new VectorYCbCrToRgb();
        byte[] samples = new byte[3 * 65536];
        int[] expected = new int[65536];
        int[] actual = new int[65536];
        for (int luma = 0; luma < 256; luma++) {
            for (int k = 0; k < 65536; k++) {
                samples[3 * k] = (byte) luma;
                samples[3 * k + 1] = (byte) (k >> 8);
                samples[3 * k + 2] = (byte) k;
            }
            SCALAR.convert(samples, 0, 65536, expected);
            vector.convert(samples, 0, 65536, actual);
            assertArrayEquals(expected, actual, "Y = " + luma);
        }
        // And the scalar loop is libjpeg's: spot checks of jdcolor.c's results.
        assertEquals(0xFFFFFF, JpegRasterConverter.yCbCrToRgb(255, 128, 128));
        assertEquals(0x000000, JpegRasterConverter.yCbCrToRgb(0, 128, 128));
        assertEquals(0xFE0000, JpegRasterConverter.yCbCrToRgb(76, 85, 255));
    }

    @Test
    void rangesOffTheGridAndUpToTheEndTouchOnlyTheirPixels() {
        YCbCrToRgb vector = new VectorYCbCrToRgb();
        SplittableRandom random = new SplittableRandom(20261127);
        for (int round = 0; round < 300; round++) {
            int pixels = 1 + random.nextInt(200);
            byte[] samples = new byte[3 * pixels];
            random.nextBytes(samples);
            int from = random.nextInt(pixels);
            int to = from + random.nextInt(pixels - from + 1);
            int[] expected = new int[pixels];
            int[] actual = new int[pixels];
            Arrays.fill(expected, -7);
            Arrays.fill(actual, -7);
            SCALAR.convert(samples, from, to, expected);
            vector.convert(samples, from, to, actual);
            assertArrayEquals(expected, actual, pixels + " pixels, " + from + ".." + to);
        }
    }
}
