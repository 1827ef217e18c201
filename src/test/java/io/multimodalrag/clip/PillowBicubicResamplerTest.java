package io.multimodalrag.clip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/**
 * The Vector API kernel against the scalar one, which is Resample.c's loops as written and matches Pillow on every
 * golden ({@code ClipPreprocessorTest} runs those on both): same values for random images, down- and upscales, one
 * dimension unchanged, windows touching every border, strong downscales whose taps span several vectors, and sizes
 * that are not multiples of any vector width.
 */
class PillowBicubicResamplerTest {

    private static final ResampleKernel SCALAR = ResampleKernel.choose(false);
    private static final ResampleKernel VECTOR = ResampleKernel.choose(true);

    @Test
    void theTestsRunTheVectorKernel() {
        // The pom starts the test JVM with the Vector API module; without it this class would compare scalar to scalar.
        assertTrue(VECTOR.description().startsWith("Vector API"), VECTOR.description());
        assertTrue(SCALAR.description().startsWith("scalar"), SCALAR.description());
    }

    @Test
    void vectorKernelMatchesTheScalarOneOnRandomImagesSizesAndWindows() {
        SplittableRandom random = new SplittableRandom(20261127);
        for (int round = 0; round < 400; round++) {
            int width = 1 + random.nextInt(round < 200 ? 40 : 400);
            int height = 1 + random.nextInt(round < 200 ? 40 : 400);
            int newWidth = pickSize(random, width);
            int newHeight = pickSize(random, height);
            int windowWidth = 1 + random.nextInt(newWidth);
            int windowHeight = 1 + random.nextInt(newHeight);
            int left = random.nextInt(newWidth - windowWidth + 1);
            int top = random.nextInt(newHeight - windowHeight + 1);
            int[] pixels = randomPixels(random, width * height);

            String what = width + "×" + height + " → " + newWidth + "×" + newHeight + ", window " + windowWidth + "×"
                    + windowHeight + " at " + left + "," + top;
            assertArrayEquals(
                    PillowBicubicResampler.resizeWindowPlanar(SCALAR, pixels, width, height, newWidth, newHeight,
                            left, top, windowWidth, windowHeight),
                    PillowBicubicResampler.resizeWindowPlanar(VECTOR, pixels, width, height, newWidth, newHeight,
                            left, top, windowWidth, windowHeight), what);
        }
    }

    @Test
    void vectorKernelMatchesTheScalarOneOnClipSizedPhotos() {
        SplittableRandom random = new SplittableRandom(7);
        int[][] sizes = {{1024, 768}, {683, 1024}, {4000, 3000}, {225, 224}, {224, 1000}, {97, 61}, {3000, 17}};
        for (int[] size : sizes) {
            int[] pixels = smoothPixels(random, size[0], size[1]);
            ClipCropGeometry geometry = ClipCropGeometry.of(size[0], size[1], 224);
            assertArrayEquals(
                    PillowBicubicResampler.resizeWindowPlanar(SCALAR, pixels, size[0], size[1], geometry.resizedWidth(),
                            geometry.resizedHeight(), geometry.cropLeft(), geometry.cropTop(), 224, 224),
                    PillowBicubicResampler.resizeWindowPlanar(VECTOR, pixels, size[0], size[1], geometry.resizedWidth(),
                            geometry.resizedHeight(), geometry.cropLeft(), geometry.cropTop(), 224, 224),
                    size[0] + "×" + size[1]);
        }
    }

    /**
     * Half of the horizontal pass's rows done by a helper thread, or left to the caller by a helper that never starts,
     * gives the one-thread result with both kernels: each half writes its own rows of the shared stripe.
     */
    @Test
    void splittingTheHorizontalPassWithAHelperChangesNoValue() {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        Executor neverStarts = command -> { };
        try {
            SplittableRandom random = new SplittableRandom(11);
            int[][] sizes = {{1024, 768}, {683, 1024}, {741, 500}, {225, 224}, {300, 97}, {97, 300}};
            for (ResampleKernel kernel : new ResampleKernel[] {SCALAR, VECTOR}) {
                for (int[] size : sizes) {
                    int[] pixels = randomPixels(random, size[0] * size[1]);
                    ClipCropGeometry geometry = ClipCropGeometry.of(size[0], size[1], 224);
                    int[] alone = PillowBicubicResampler.resizeWindowPlanar(kernel, pixels, size[0], size[1],
                            geometry.resizedWidth(), geometry.resizedHeight(), geometry.cropLeft(), geometry.cropTop(),
                            224, 224);
                    for (Executor helper : new Executor[] {pool, neverStarts}) {
                        int[] out = new int[3 * 224 * 224];
                        Arrays.fill(out, -1);
                        assertArrayEquals(alone, PillowBicubicResampler.resizeWindowPlanar(kernel, pixels, size[0],
                                size[1], geometry.resizedWidth(), geometry.resizedHeight(), geometry.cropLeft(),
                                geometry.cropTop(), 224, 224, out, helper), kernel.description() + ", " + size[0] + "×"
                                + size[1] + (helper == pool ? " with a helper" : " with an idle helper"));
                    }
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** Mostly the size CLIP's resize produces (down), sometimes up, sometimes unchanged. */
    private static int pickSize(SplittableRandom random, int size) {
        return switch (random.nextInt(4)) {
            case 0 -> size;
            case 1 -> 1 + random.nextInt(size * 3);
            default -> 1 + random.nextInt(size);
        };
    }

    private static int[] randomPixels(SplittableRandom random, int count) {
        int[] pixels = new int[count];
        for (int i = 0; i < count; i++) {
            // Extremes often, so that the negative lobes drive sums below 0 and above 255.
            pixels[i] = random.nextInt(3) == 0 ? (random.nextBoolean() ? 0xFFFFFF : 0) : random.nextInt(1 << 24);
        }
        return pixels;
    }

    /** Gradients with noise and hard edges, like a photo. */
    private static int[] smoothPixels(SplittableRandom random, int width, int height) {
        int[] pixels = new int[width * height];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int red = (x * 255 / width + random.nextInt(9)) & 0xFF;
                int green = (y * 255 / height + random.nextInt(9)) & 0xFF;
                int blue = ((x / 37 + y / 29) % 2 == 0) ? 250 : random.nextInt(20);
                pixels[y * width + x] = red << 16 | green << 8 | blue;
            }
        }
        return pixels;
    }
}
