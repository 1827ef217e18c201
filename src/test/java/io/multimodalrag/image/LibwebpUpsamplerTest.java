package io.multimodalrag.image;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Spot checks of the libwebp colour conversion; the lossy WebP fixtures check the whole path against Pillow. */
class LibwebpUpsamplerTest {

    @Test
    void libwebpConversionMatchesKnownValues() {
        // From libwebp's VP8YuvToRgb: video-range black and white, and a saturated red.
        assertEquals(0x000000, LibwebpUpsampler.rgb(16, 128, 128));
        assertEquals(0xFFFFFF, LibwebpUpsampler.rgb(235, 128, 128));
        int red = LibwebpUpsampler.rgb(81, 90, 240);
        assertTrue((red >> 16) >= 250 && (red & 0xFF) <= 5, String.format("%06X", red));
    }
}
