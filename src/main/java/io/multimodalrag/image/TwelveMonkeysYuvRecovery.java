package io.multimodalrag.image;

import java.util.Arrays;

/**
 * Recovers the 4:2:0 planes that TwelveMonkeys' VP8 decoder ({@code VP8Frame}) decoded from the RGB it writes.
 * <p>
 * VP8Frame converts every pixel with {@code YCbCrConverter.convertRec601YCbCr2RGB}, using the chroma sample of
 * its 2×2 block unchanged (nearest-neighbour upsampling). That conversion is a fixed integer table per channel
 * ({@link #red}, {@link #green}, {@link #blue}; a test checks all 2²⁴ inputs against the library), and its luma
 * table rises by 1 or 2 per step, so a pixel with an unclipped red (or blue, or green) sample fixes its luma once
 * the block's chroma is known. The chroma pair is found by searching outward from a floating-point estimate for
 * the pair that reproduces every pixel of the block exactly.
 * <p>
 * Clipping to 0 or 255 loses information: a block whose pixels are clipped in every channel (pure white, black,
 * or saturated primaries) may be reproduced by several triples. Any of them gives back TwelveMonkeys' pixels; the
 * one nearest the estimate is taken. A block that no chroma pair within {@link #SEARCH_RADIUS} reproduces keeps
 * its estimate and is reported in {@link Result#unmatchedBlocks()}, so the caller can keep TwelveMonkeys' own
 * pixels there.
 */
final class TwelveMonkeysYuvRecovery {

    /** How far (in chroma levels, each of U and V) the search goes from the estimate: at most 13² pairs per block. */
    static final int SEARCH_RADIUS = 6;

    private static final int[] LUMA = new int[256];
    private static final int[] RED_FROM_V = new int[256];
    private static final int[] BLUE_FROM_U = new int[256];
    private static final int[] GREEN_FROM_V = new int[256];
    private static final int[] GREEN_FROM_U = new int[256];
    /** LUMA_MIN + t → the y with LUMA[y] = t, or −1; LUMA is strictly increasing. */
    private static final int[] LUMA_INVERSE;
    private static final int LUMA_MIN;

    static {
        // YCbCrConverter.ITU_R_601 in TwelveMonkeys imageio-core 3.14 (16-bit fixed point, like libjpeg's tables).
        for (int i = 0; i < 256; i++) {
            int centred = i - 128;
            LUMA[i] = (76309 * (i - 16) + 32768) >> 16;
            RED_FROM_V[i] = (104597 * centred + 32768) >> 16;
            BLUE_FROM_U[i] = (132201 * centred + 32768) >> 16;
            GREEN_FROM_V[i] = -53279 * centred;
            GREEN_FROM_U[i] = -25674 * centred + 32768;
        }
        LUMA_MIN = LUMA[0];
        LUMA_INVERSE = new int[LUMA[255] - LUMA_MIN + 1];
        Arrays.fill(LUMA_INVERSE, -1);
        for (int y = 0; y < 256; y++) {
            LUMA_INVERSE[LUMA[y] - LUMA_MIN] = y;
        }
    }

    /**
     * @param planes          the recovered planes
     * @param unmatchedBlocks one flag per chroma sample: true where no triple reproduced the block's pixels
     * @param unmatchedCount  how many blocks those are
     */
    record Result(YuvPlanes planes, boolean[] unmatchedBlocks, int unmatchedCount) {
    }

    private TwelveMonkeysYuvRecovery() {
    }

    /** @param rgb packed 0xRRGGBB pixels as VP8Frame wrote them, row-major, {@code width × height} */
    static Result recover(int[] rgb, int width, int height) {
        int chromaWidth = (width + 1) / 2;
        int chromaHeight = (height + 1) / 2;
        byte[] y = new byte[width * height];
        byte[] u = new byte[chromaWidth * chromaHeight];
        byte[] v = new byte[u.length];
        boolean[] unmatched = new boolean[u.length];
        int unmatchedCount = 0;
        int[] block = new int[4];
        int[] blockIndex = new int[4];
        int[] luma = new int[4];
        for (int cy = 0; cy < chromaHeight; cy++) {
            for (int cx = 0; cx < chromaWidth; cx++) {
                int count = 0;
                for (int dy = 0; dy < 2 && 2 * cy + dy < height; dy++) {
                    for (int dx = 0; dx < 2 && 2 * cx + dx < width; dx++) {
                        int index = (2 * cy + dy) * width + 2 * cx + dx;
                        blockIndex[count] = index;
                        block[count++] = rgb[index];
                    }
                }
                int chroma = cy * chromaWidth + cx;
                int estimate = estimateChroma(block, count);
                int estimatedU = estimate >> 8;
                int estimatedV = estimate & 0xFF;
                boolean found = search(block, count, estimatedU, estimatedV, luma, u, v, chroma);
                if (!found) {
                    unmatched[chroma] = true;
                    unmatchedCount++;
                    u[chroma] = (byte) estimatedU;
                    v[chroma] = (byte) estimatedV;
                    for (int i = 0; i < count; i++) {
                        luma[i] = estimateLuma(block[i]);
                    }
                }
                for (int i = 0; i < count; i++) {
                    y[blockIndex[i]] = (byte) luma[i];
                }
            }
        }
        return new Result(new YuvPlanes(width, height, y, u, v), unmatched, unmatchedCount);
    }

    /** Tries chroma pairs ring by ring around the estimate; on success fills {@code luma} and the chroma planes. */
    private static boolean search(int[] block, int count, int estimatedU, int estimatedV, int[] luma,
                                  byte[] u, byte[] v, int chroma) {
        for (int radius = 0; radius <= SEARCH_RADIUS; radius++) {
            for (int du = -radius; du <= radius; du++) {
                int candidateU = estimatedU + du;
                if (candidateU < 0 || candidateU > 255) {
                    continue;
                }
                boolean edgeColumn = Math.abs(du) == radius;
                for (int dv = -radius; dv <= radius; dv += edgeColumn ? 1 : 2 * radius) {
                    int candidateV = estimatedV + dv;
                    if (candidateV >= 0 && candidateV <= 255 && matches(block, count, candidateU, candidateV, luma)) {
                        u[chroma] = (byte) candidateU;
                        v[chroma] = (byte) candidateV;
                        return true;
                    }
                    if (radius == 0) {
                        break;
                    }
                }
            }
        }
        return false;
    }

    private static boolean matches(int[] block, int count, int u, int v, int[] luma) {
        for (int i = 0; i < count; i++) {
            int y = lumaFor(block[i], u, v);
            if (y < 0) {
                return false;
            }
            luma[i] = y;
        }
        return true;
    }

    /** The luma that turns (u, v) into {@code pixel}, or −1 if none does. */
    private static int lumaFor(int pixel, int u, int v) {
        int r = pixel >> 16 & 0xFF;
        int g = pixel >> 8 & 0xFF;
        int b = pixel & 0xFF;
        int target;
        if (r > 0 && r < 255) {
            target = r - RED_FROM_V[v];
        } else if (b > 0 && b < 255) {
            target = b - BLUE_FROM_U[u];
        } else if (g > 0 && g < 255) {
            target = g - ((GREEN_FROM_U[u] + GREEN_FROM_V[v]) >> 16);
        } else {
            return clippedLumaFor(pixel, u, v);
        }
        int index = target - LUMA_MIN;
        if (index < 0 || index >= LUMA_INVERSE.length) {
            return -1;
        }
        int y = LUMA_INVERSE[index];
        return y >= 0 && convert(y, u, v) == pixel ? y : -1;
    }

    /** Every channel clipped: take the matching luma nearest the estimate. */
    private static int clippedLumaFor(int pixel, int u, int v) {
        int estimate = estimateLuma(pixel);
        for (int distance = 0; distance < 256; distance++) {
            int below = estimate - distance;
            if (below >= 0 && convert(below, u, v) == pixel) {
                return below;
            }
            int above = estimate + distance;
            if (above <= 255 && convert(above, u, v) == pixel) {
                return above;
            }
        }
        return -1;
    }

    /** TwelveMonkeys' conversion of one sample triple to packed RGB. */
    static int convert(int y, int u, int v) {
        int luma = LUMA[y];
        return clamp(luma + RED_FROM_V[v]) << 16 | clamp(luma + ((GREEN_FROM_U[u] + GREEN_FROM_V[v]) >> 16)) << 8
                | clamp(luma + BLUE_FROM_U[u]);
    }

    private static int clamp(int value) {
        return Math.max(0, Math.min(255, value));
    }

    /**
     * (u &lt;&lt; 8 | v) from the inverse BT.601 limited-range matrix, averaged over the block's pixels that are
     * unclipped in every channel (all pixels if none is), since clipped samples pull the estimate away.
     */
    private static int estimateChroma(int[] block, int count) {
        double sumU = 0;
        double sumV = 0;
        int used = 0;
        for (int pass = 0; pass < 2 && used == 0; pass++) {
            for (int i = 0; i < count; i++) {
                int pixel = block[i];
                int r = pixel >> 16 & 0xFF;
                int g = pixel >> 8 & 0xFF;
                int b = pixel & 0xFF;
                boolean unclipped = r > 0 && r < 255 && g > 0 && g < 255 && b > 0 && b < 255;
                if (pass == 1 || unclipped) {
                    double luma = 0.299 * r + 0.587 * g + 0.114 * b;
                    sumU += (b - luma) / 2.017;
                    sumV += (r - luma) / 1.596;
                    used++;
                }
            }
        }
        int u = clampToByte((int) Math.round(128 + sumU / used));
        int v = clampToByte((int) Math.round(128 + sumV / used));
        return u << 8 | v;
    }

    private static int estimateLuma(int pixel) {
        double luma = 0.299 * (pixel >> 16 & 0xFF) + 0.587 * (pixel >> 8 & 0xFF) + 0.114 * (pixel & 0xFF);
        return clampToByte((int) Math.round(16 + luma / 1.164));
    }

    private static int clampToByte(int value) {
        return Math.max(0, Math.min(255, value));
    }
}
