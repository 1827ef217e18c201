package io.multimodalrag.clip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multimodalrag.image.ImageDecoder;
import io.multimodalrag.image.ImageDecodingException;
import io.multimodalrag.testing.TestResources;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.awt.image.BufferedImage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** An embedding's decoded pixels handed on to a caller that needs the picture too. */
@QuarkusTest
class ImageEncoderTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Inject
    ImageEncoder images;

    @Inject
    ModelLoader models;

    @BeforeEach
    void waitForTheModel() throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (models.state().status() == LoadStatus.LOADING && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
    }

    @Test
    void theDecodedImageIsHandedOnUprightAndTheEmbeddingIsTheSame() {
        // Stored 64×96 with EXIF orientation 6: the consumer sees it turned, as the tower does.
        byte[] rotated = TestResources.bytes("images/edge/orientation_6.jpg");
        BufferedImage expected = new ImageDecoder(50_000_000).decode(rotated);
        List<int[]> seen = new ArrayList<>();
        float[] embedding = images.encode(rotated, image -> seen.add(
                image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth()))).await().atMost(WAIT);

        assertEquals(1, seen.size(), "handed on once");
        assertArrayEquals(expected.getRGB(0, 0, 96, 64, null, 0, 96), seen.get(0));
        assertArrayEquals(images.encode(rotated).await().atMost(WAIT), embedding, 0f);
    }

    @Test
    void anImageThatCannotBeDecodedIsNotHandedOnAndAFailingConsumerFailsTheEmbedding() {
        List<BufferedImage> seen = new ArrayList<>();
        assertThrows(ImageDecodingException.class,
                () -> images.encode("not an image".getBytes(), seen::add).await().atMost(WAIT));
        assertTrue(seen.isEmpty());

        IllegalStateException thrown = assertThrows(IllegalStateException.class,
                () -> images.encode(TestResources.bytes("images/coffee.jpg"), image -> {
                    throw new IllegalStateException("the consumer failed");
                }).await().atMost(WAIT));
        assertEquals("the consumer failed", thrown.getMessage());
    }
}
