package io.multimodalrag.image;

import org.junit.jupiter.api.Test;
import java.util.Random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Vector API packing against the scalar loop: every byte value in every channel, and ranges that start and end
 * off the vector grid, at an offset in the output, or run up to the end of the samples (the scalar tail).
 */
class RgbPackerTest {

    private static final RgbPacker SCALAR = RgbPacker.choose(false);
    private static final RgbPacker VECTOR = RgbPacker.choose(true);

    @Test
    void theTestsRunTheVectorPacking() {
        assertTrue(VECTOR.description().startsWith("Vector API"), VECTOR.description());
        assertTrue(SCALAR.description().startsWith("scalar"), SCALAR.description());
    }

    @Test
    void packsEveryByteValueInEveryChannel() {
        byte[] rgb = new byte[3 * 256 * 3];
        for (int v = 0; v < 256; v++) {
            for (int channel = 0; channel < 3; channel++) {
                rgb[3 * (channel * 256 + v) + channel] = (byte) v;
                rgb[3 * (channel * 256 + v) + (channel + 1) % 3] = (byte) (255 - v);
            }
        }
        int[] expected = new int[768];
        SCALAR.pack(rgb, 0, 768, expected, 0);
        int[] actual = new int[768];
        VECTOR.pack(rgb, 0, 768, actual, 0);
        assertArrayEquals(expected, actual);
        assertTrue(expected[255] == (255 << 16 | 0 << 8), "red 255 with green 0: " + Integer.toHexString(expected[255]));
    }

    @Test
    void rangesOffTheGridAndUpToTheEnd() {
        Random random = new Random(3);
        byte[] rgb = new byte[3 * 1000];
        random.nextBytes(rgb);
        for (int trial = 0; trial < 2000; trial++) {
            int from = random.nextInt(1000);
            int count = random.nextInt(1000 - from + 1);
            int at = random.nextInt(50);
            int[] expected = new int[at + count + 10];
            int[] actual = new int[at + count + 10];
            SCALAR.pack(rgb, from, count, expected, at);
            VECTOR.pack(rgb, from, count, actual, at);
            assertArrayEquals(expected, actual, "from " + from + ", " + count + " pixels, at " + at);
        }
    }
}
