package io.multimodalrag.testing;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import javax.imageio.ImageIO;

/** Small PNGs whose content no other call produces, in this JVM or another (the seeds start at random). */
public final class UniqueImages {

    private static final AtomicInteger SEED = new AtomicInteger(new Random().nextInt(1 << 30));

    private UniqueImages() {
    }

    /** A 64×48 PNG of its own. */
    public static byte[] png() {
        int seed = SEED.incrementAndGet();
        BufferedImage image = new BufferedImage(64, 48, BufferedImage.TYPE_INT_RGB);
        Random random = new Random(seed);
        for (int y = 0; y < 48; y++) {
            for (int x = 0; x < 64; x++) {
                image.setRGB(x, y, ((x * 4 + seed * 37) & 0xff) << 16 | ((y * 5 + seed * 11) & 0xff) << 8
                        | random.nextInt(256));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
