package io.multimodalrag.image;

import com.twelvemonkeys.imageio.color.YCbCrConverter;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The recovery relies on a copy of TwelveMonkeys' conversion tables; these tests catch a library upgrade that
 * changes them, and check that planes come back exactly wherever no sample was clipped.
 */
class TwelveMonkeysYuvRecoveryTest {

    @Test
    void conversionIsTwelveMonkeysOwnForEveryInput() {
        byte[] yuv = new byte[3];
        byte[] rgb = new byte[3];
        for (int y = 0; y < 256; y++) {
            for (int u = 0; u < 256; u++) {
                for (int v = 0; v < 256; v++) {
                    yuv[0] = (byte) y;
                    yuv[1] = (byte) u;
                    yuv[2] = (byte) v;
                    YCbCrConverter.convertRec601YCbCr2RGB(yuv, rgb, 0);
                    int expected = (rgb[0] & 0xFF) << 16 | (rgb[1] & 0xFF) << 8 | rgb[2] & 0xFF;
                    int actual = TwelveMonkeysYuvRecovery.convert(y, u, v);
                    if (actual != expected) {
                        fail(String.format("YCbCr (%d, %d, %d): %06X but TwelveMonkeys gives %06X", y, u, v, actual, expected));
                    }
                }
            }
        }
    }

    @Test
    void recoversUnclippedPlanesExactly() {
        // Odd sizes: the last chroma column and row each cover a single pixel column or row.
        int width = 37;
        int height = 23;
        Random random = new Random(7);
        int chromaWidth = (width + 1) / 2;
        int chromaHeight = (height + 1) / 2;
        byte[] y = new byte[width * height];
        byte[] u = new byte[chromaWidth * chromaHeight];
        byte[] v = new byte[u.length];
        // Mid-range samples so that no channel clips.
        for (int i = 0; i < y.length; i++) {
            y[i] = (byte) (90 + random.nextInt(60));
        }
        for (int i = 0; i < u.length; i++) {
            u[i] = (byte) (110 + random.nextInt(36));
            v[i] = (byte) (110 + random.nextInt(36));
        }
        int[] rgb = new int[width * height];
        for (int row = 0; row < height; row++) {
            for (int x = 0; x < width; x++) {
                int chroma = (row / 2) * chromaWidth + x / 2;
                rgb[row * width + x] = TwelveMonkeysYuvRecovery.convert(y[row * width + x] & 0xFF, u[chroma] & 0xFF,
                        v[chroma] & 0xFF);
            }
        }

        TwelveMonkeysYuvRecovery.Result result = TwelveMonkeysYuvRecovery.recover(rgb, width, height);

        assertEquals(0, result.unmatchedCount());
        int[] back = LibwebpUpsampler.toRgb(result.planes());
        assertEquals(width * height, back.length);
        for (int i = 0; i < y.length; i++) {
            assertEquals(y[i], result.planes().y()[i], "luma " + i);
        }
        for (int i = 0; i < u.length; i++) {
            assertEquals(u[i], result.planes().u()[i], "u " + i);
            assertEquals(v[i], result.planes().v()[i], "v " + i);
        }
    }

    @Test
    void libwebpConversionMatchesKnownValues() {
        // From libwebp's VP8YuvToRgb: video-range black and white, and a saturated red.
        assertEquals(0x000000, LibwebpUpsampler.rgb(16, 128, 128));
        assertEquals(0xFFFFFF, LibwebpUpsampler.rgb(235, 128, 128));
        int red = LibwebpUpsampler.rgb(81, 90, 240);
        assertTrue((red >> 16) >= 250 && (red & 0xFF) <= 5, String.format("%06X", red));
    }
}
