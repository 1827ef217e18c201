package io.multimodalrag.answer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multimodalrag.image.ImageDecoder;
import io.multimodalrag.testing.TestResources;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Base64;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PromptImageTest {

    private final ImageDecoder decoder = new ImageDecoder(50_000_000);

    private static byte[] payload(PromptImage image) {
        String prefix = "data:" + image.mediaType() + ";base64,";
        assertTrue(image.dataUrl().startsWith(prefix), image.toString());
        return Base64.getDecoder().decode(image.dataUrl().substring(prefix.length()));
    }

    private static BufferedImage read(byte[] bytes) throws IOException {
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(bytes));
        assertNotNull(image);
        return image;
    }

    @ParameterizedTest
    @CsvSource({"images/chelsea_small.png, image/png", "images/edge/lossy.webp, image/webp",
            "images/edge/orientation_1.jpg, image/jpeg"})
    void anUprightImageWithinTheLimitGoesAsItsOriginalBytes(String resource, String type) {
        byte[] original = TestResources.bytes(resource);
        PromptImage image = PromptImage.of(original, decoder, 512);
        assertEquals(type, image.mediaType());
        assertArrayEquals(original, payload(image));
        // Its size comes from its header, and is the decoded picture's.
        BufferedImage decoded = decoder.decode(original);
        assertEquals(decoded.getWidth(), image.width());
        assertEquals(decoded.getHeight(), image.height());
    }

    @Test
    void aLargerPhotoIsDownscaledToTheLimitKeepingItsAspectAndEncodedAsJpeg() throws IOException {
        PromptImage image = PromptImage.of(TestResources.bytes("images/coffee.jpg"), decoder, 300);
        assertEquals("image/jpeg", image.mediaType());
        BufferedImage sent = read(payload(image));
        assertEquals(300, sent.getWidth());
        assertEquals(200, sent.getHeight());
        assertEquals(300, image.width());
        assertEquals(200, image.height());
    }

    @Test
    void aLargerLosslessImageStaysLossless() throws IOException {
        PromptImage image = PromptImage.of(TestResources.bytes("images/edge/rgba.png"), decoder, 64);
        assertEquals("image/png", image.mediaType());
        byte[] bytes = payload(image);
        assertEquals((byte) 0x89, bytes[0]);
        assertEquals(64, read(bytes).getWidth());
    }

    @Test
    void downscalingByALargeFactorAveragesRatherThanSamples() {
        // A one-pixel checkerboard averages to mid-grey; sampling every n-th pixel would give black or white.
        BufferedImage board = new BufferedImage(1024, 1024, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 1024; y++) {
            for (int x = 0; x < 1024; x++) {
                board.setRGB(x, y, (x + y) % 2 == 0 ? 0xFFFFFF : 0x000000);
            }
        }
        BufferedImage small = PromptImage.downscale(board, 64);
        assertEquals(64, small.getWidth());
        int grey = small.getRGB(32, 32) & 0xFF;
        assertTrue(grey > 96 && grey < 160, "centre pixel " + grey);
    }

    @ParameterizedTest
    @CsvSource({"images/edge/animated.gif, image/png", "images/edge/bmp24.bmp, image/png"})
    void formatsVisionApisRefuseAreReEncodedEvenWhenSmall(String resource, String type) throws IOException {
        byte[] original = TestResources.bytes(resource);
        PromptImage image = PromptImage.of(original, decoder, 1024);
        assertEquals(type, image.mediaType());
        BufferedImage sent = read(payload(image));
        BufferedImage upright = decoder.decode(original);
        assertEquals(upright.getWidth(), sent.getWidth());
        assertEquals(upright.getHeight(), sent.getHeight());
    }

    @Test
    void aPhotoStoredRotatedIsSentUpright() throws IOException {
        // Stored 64×96 with EXIF orientation 6: an LLM ignoring EXIF would see it on its side.
        PromptImage image = PromptImage.of(TestResources.bytes("images/edge/orientation_6.jpg"), decoder, 1024);
        assertEquals("image/jpeg", image.mediaType());
        BufferedImage sent = read(payload(image));
        assertEquals(96, sent.getWidth());
        assertEquals(64, sent.getHeight());
    }

    @Test
    void toStringLeavesTheDataOut() {
        PromptImage image = PromptImage.of(TestResources.bytes("images/coffee.jpg"), decoder, 100);
        assertTrue(image.toString().length() < 100, image.toString());
    }
}
