package io.multimodalrag.clip;

/**
 * Pillow's view of a resize for the tests: packed 0xRRGGBB in and out, on the kernel this JVM picks. The service
 * itself only needs the planar form, {@link PillowBicubicResampler#resizeWindowPlanar}.
 */
final class PackedResize {

    private static final ResampleKernel KERNEL = ResampleKernel.fastestAvailable();

    private PackedResize() {
    }

    /** Resizes a width×height packed image to newWidth×newHeight. */
    static int[] resize(int[] pixels, int width, int height, int newWidth, int newHeight) {
        return resizeWindow(pixels, width, height, newWidth, newHeight, 0, 0, newWidth, newHeight);
    }

    /** The window of the resized image with the given top-left corner and size, packed. */
    static int[] resizeWindow(int[] pixels, int width, int height, int newWidth, int newHeight,
                              int left, int top, int windowWidth, int windowHeight) {
        int[] planes = PillowBicubicResampler.resizeWindowPlanar(KERNEL, pixels, width, height, newWidth, newHeight,
                left, top, windowWidth, windowHeight);
        int plane = windowWidth * windowHeight;
        int[] packed = new int[plane];
        for (int i = 0; i < plane; i++) {
            packed[i] = planes[i] << 16 | planes[plane + i] << 8 | planes[2 * plane + i];
        }
        return packed;
    }
}
