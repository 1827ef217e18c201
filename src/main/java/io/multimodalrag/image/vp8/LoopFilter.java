/*
 * Copyright (c) 2017, Brooss, Harald Kuhr
 * All rights reserved.
 *
 * Redistribution and use in source and binary forms, with or without
 * modification, are permitted provided that the following conditions are met:
 *
 * * Redistributions of source code must retain the above copyright notice,
 *   this list of conditions and the following disclaimer.
 *
 * * Redistributions in binary form must reproduce the above copyright notice,
 *   this list of conditions and the following disclaimer in the documentation
 *   and/or other materials provided with the distribution.
 *
 * * Neither the name of the copyright holder nor the names of its
 *   contributors may be used to endorse or promote products derived from
 *   this software without specific prior written permission.
 *
 * THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"
 * AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
 * IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE
 * ARE DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE
 * LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR
 * CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF
 * SUBSTITUTE GOODS OR SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS
 * INTERRUPTION) HOWEVER CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN
 * CONTRACT, STRICT LIABILITY, OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE)
 * ARISING IN ANY WAY OUT OF THE USE OF THIS SOFTWARE, EVEN IF ADVISED OF THE
 * POSSIBILITY OF SUCH DAMAGE.
 */

package io.multimodalrag.image.vp8;

import static java.lang.Math.abs;
import static java.lang.Math.max;
import static java.lang.Math.min;

/**
 * VP8's loop filter (RFC 6386 section 15), applied to one macroblock of a {@link ReconstructedRows} window.
 * <p>
 * Changed from TwelveMonkeys 3.14.0: the per-pixel arithmetic ({@link #mbFilter}, {@link #subblockFilter},
 * {@link #simpleSegment}, {@link #commonAdjust}) is theirs, but it reads and writes the window's rows in place
 * (p3 … q3 at a position and a step) instead of the sub-blocks' prediction sources, and the strength and the
 * inner-edge rule follow libwebp ({@code PrecomputeFilterStrengths}, {@code DoFilter}).
 */
final class LoopFilter {

    /** The frame's filter type: none when its level is 0, else simple (luma only) or normal. */
    enum Type {
        NONE, SIMPLE, NORMAL
    }

    /**
     * One macroblock's filter parameters.
     *
     * @param level         the loop-filter level, 0 to 63; 0 means no filtering
     * @param interiorLimit limit on differences between interior pixels
     * @param hevThreshold  high-edge-variance threshold
     * @param innerEdges    whether the edges between sub-blocks are filtered too
     */
    record Strength(int level, int interiorLimit, int hevThreshold, boolean innerEdges) {

        static Strength of(MacroBlock macroBlock, int sharpnessLevel) {
            int level = macroBlock.getFilterLevel();
            int interiorLimit = level;
            if (sharpnessLevel > 0) {
                interiorLimit >>= sharpnessLevel > 4 ? 2 : 1;
                if (interiorLimit > 9 - sharpnessLevel) {
                    interiorLimit = 9 - sharpnessLevel;
                }
            }
            if (interiorLimit < 1) {
                interiorLimit = 1;
            }
            // Key frames only: WebP has no inter frames.
            int hevThreshold = level >= 40 ? 2 : level >= 15 ? 1 : 0;
            return new Strength(level, interiorLimit, hevThreshold, macroBlock.filtersInnerEdges());
        }

        /** Luma and chroma use the same inter-subblock edge limit. */
        int subBlockEdgeLimit() {
            return level * 2 + interiorLimit;
        }

        /** Luma and chroma use the same inter-macroblock edge limit. */
        int macroBlockEdgeLimit() {
            return (level + 2) * 2 + interiorLimit;
        }
    }

    private LoopFilter() {
    }

    /**
     * Filters the macroblock in column {@code mbCol} of the window's current row: its left edge, the vertical
     * edges inside it, its top edge, the horizontal edges inside it (libwebp's order).
     */
    static void filterMacroBlock(ReconstructedRows rows, int mbCol, boolean hasLeft, boolean hasTop, Type type,
                                 Strength strength) {
        if (strength.level() == 0) {
            return;
        }
        byte[] y = rows.y();
        int yStride = rows.yStride();
        int yOrigin = rows.yOrigin(mbCol);
        if (type == Type.SIMPLE) {
            filterSimplePlane(y, yOrigin, yStride, hasLeft, hasTop, strength);
        }
        else {
            filterNormalPlane(y, yOrigin, yStride, 16, hasLeft, hasTop, strength);
            filterNormalPlane(rows.u(), rows.uvOrigin(mbCol), rows.uvStride(), 8, hasLeft, hasTop, strength);
            filterNormalPlane(rows.v(), rows.uvOrigin(mbCol), rows.uvStride(), 8, hasLeft, hasTop, strength);
        }
    }

    private static void filterSimplePlane(byte[] plane, int origin, int stride, boolean hasLeft, boolean hasTop,
                                          Strength strength) {
        int mbEdgeLimit = strength.macroBlockEdgeLimit();
        int subBlockEdgeLimit = strength.subBlockEdgeLimit();
        if (hasLeft) {
            for (int i = 0; i < 16; i++) {
                simpleSegment(mbEdgeLimit, plane, origin + i * stride, 1);
            }
        }
        if (strength.innerEdges()) {
            for (int x = 4; x < 16; x += 4) {
                for (int i = 0; i < 16; i++) {
                    simpleSegment(subBlockEdgeLimit, plane, origin + i * stride + x, 1);
                }
            }
        }
        if (hasTop) {
            for (int i = 0; i < 16; i++) {
                simpleSegment(mbEdgeLimit, plane, origin + i, stride);
            }
        }
        if (strength.innerEdges()) {
            for (int y = 4; y < 16; y += 4) {
                for (int i = 0; i < 16; i++) {
                    simpleSegment(subBlockEdgeLimit, plane, origin + y * stride + i, stride);
                }
            }
        }
    }

    /** @param size 16 for luma, 8 for chroma */
    private static void filterNormalPlane(byte[] plane, int origin, int stride, int size, boolean hasLeft,
                                          boolean hasTop, Strength strength) {
        int interiorLimit = strength.interiorLimit();
        int hevThreshold = strength.hevThreshold();
        int mbEdgeLimit = strength.macroBlockEdgeLimit();
        int subBlockEdgeLimit = strength.subBlockEdgeLimit();
        if (hasLeft) {
            for (int i = 0; i < size; i++) {
                mbFilter(hevThreshold, interiorLimit, mbEdgeLimit, plane, origin + i * stride, 1);
            }
        }
        if (strength.innerEdges()) {
            for (int x = 4; x < size; x += 4) {
                for (int i = 0; i < size; i++) {
                    subblockFilter(hevThreshold, interiorLimit, subBlockEdgeLimit, plane, origin + i * stride + x, 1);
                }
            }
        }
        if (hasTop) {
            for (int i = 0; i < size; i++) {
                mbFilter(hevThreshold, interiorLimit, mbEdgeLimit, plane, origin + i, stride);
            }
        }
        if (strength.innerEdges()) {
            for (int y = 4; y < size; y += 4) {
                for (int i = 0; i < size; i++) {
                    subblockFilter(hevThreshold, interiorLimit, subBlockEdgeLimit, plane, origin + y * stride + i,
                            stride);
                }
            }
        }
    }

    private static int clamp(int value) {
        return max(min(value, 127), -128);
    }

    /** The signed value (pixel − 128) at {@code at}. */
    private static int signed(byte[] plane, int at) {
        return (plane[at] & 0xFF) - 128;
    }

    /** Clamps a signed value and stores it back as a pixel. */
    private static void store(byte[] plane, int at, int signedValue) {
        plane[at] = (byte) (clamp(signedValue) + 128);
    }

    /*
     * All functions take (among other things) a segment (of length at most 4 + 4 = 8) symmetrically straddling
     * an edge: q0 at {@code q0At}, the other pixels {@code step} apart, ordered p3 p2 p1 p0 | q0 q1 q2 q3.
     */

    private static int commonAdjust(boolean useOuterTaps, /* filter is 2 or 4 taps wide */ byte[] plane, int q0At,
                                    int step) {
        int p1 = signed(plane, q0At - 2 * step); /* retrieve and convert all 4 pixels */
        int p0 = signed(plane, q0At - step);
        int q0 = signed(plane, q0At);
        int q1 = signed(plane, q0At + step);

        /*
         * Disregarding clamping, when "use_outer_taps" is false, "a" is
         * 3*(q0-p0). Since we are about to divide "a" by 8, in this case we end
         * up multiplying the edge difference by 5/8. When "use_outer_taps" is
         * true (as for the simple filter), "a" is p1 - 3*p0 + 3*q0 - q1, which
         * can be thought of as a refinement of 2*(q0 - p0) and the adjustment
         * is something like (q0 - p0)/4.
         */
        int a = clamp((useOuterTaps ? clamp(p1 - q1) : 0) + 3 * (q0 - p0));
        /*
         * b is used to balance the rounding of a/8 in the case where the
         * "fractional" part "f" of a/8 is exactly 1/2.
         */
        int b = (clamp(a + 3)) >> 3;
        /*
         * Divide a by 8, rounding up when f >= 1/2. Although not strictly part
         * of the "C" language, the right-shift is assumed to propagate the sign
         * bit.
         */
        a = clamp(a + 4) >> 3;
        /* Subtract "a" from q0, "bringing it closer" to p0. */
        store(plane, q0At, q0 - a);
        /*
         * Add "a" (with adjustment "b") to p0, "bringing it closer" to q0. The
         * clamp of "a+b", while present in the reference decoder, is
         * superfluous; we have -16 <= a <= 15 at this point.
         */
        store(plane, q0At - step, p0 + b);

        return a;
    }

    /*
     * Filtering is disabled if the difference between any two adjacent
     * "interior" pixels in the 8-pixel segment exceeds the relevant threshold
     * (I). A more complex thresholding calculation is done for the group of
     * four pixels that straddle the edge, in line with the calculation in
     * simple_segment() above.
     */
    private static boolean filterYes(int I, // limit on interior differences
                                     int E, // limit at the edge
                                     int p3, int p2, int p1, int p0, // pixels before edge
                                     int q0, int q1, int q2, int q3 // pixels after edge
    ) {
        return (abs(p0 - q0) * 2 + abs(p1 - q1) / 2) <= E && abs(p3 - p2) <= I
                && abs(p2 - p1) <= I && abs(p1 - p0) <= I && abs(q3 - q2) <= I
                && abs(q2 - q1) <= I && abs(q1 - q0) <= I;
    }

    /*
     * Filtering is altered if (at least) one of the differences on either side
     * of the edge exceeds a threshold (we have "high edge variance").
     */
    private static boolean hev(int threshold,
                               int p1, int p0, // pixels before edge
                               int q0, int q1 // pixels after edge
    ) {
        return abs(p1 - p0) > threshold || abs(q1 - q0) > threshold;
    }

    private static void mbFilter(int hevThreshold, /* detect high edge variance */
                                 int interiorLimit, /* possibly disable filter */
                                 int edgeLimit, byte[] plane, int q0At, int step) {
        int p3 = signed(plane, q0At - 4 * step), p2 = signed(plane, q0At - 3 * step);
        int p1 = signed(plane, q0At - 2 * step), p0 = signed(plane, q0At - step);
        int q0 = signed(plane, q0At), q1 = signed(plane, q0At + step);
        int q2 = signed(plane, q0At + 2 * step), q3 = signed(plane, q0At + 3 * step);
        if (filterYes(interiorLimit, edgeLimit, q3, q2, q1, q0, p0, p1, p2, p3)) {
            if (!hev(hevThreshold, p1, p0, q0, q1)) {
                // Same as the initial calculation in "common_adjust",
                // w is something like twice the edge difference
                int w = clamp(clamp(p1 - q1) + 3 * (q0 - p0));

                // 9/64 is approximately 9/63 = 1/7 and 1<<7 = 128 = 2*64.
                // So this a, used to adjust the pixels adjacent to the edge,
                // is something like 3/7 the edge difference.
                int a = (27 * w + 63) >> 7;

                store(plane, q0At, q0 - a);
                store(plane, q0At - step, p0 + a);
                // Next two are adjusted by 2/7 the edge difference
                a = (18 * w + 63) >> 7;
                store(plane, q0At + step, q1 - a);
                store(plane, q0At - 2 * step, p1 + a);
                // Last two are adjusted by 1/7 the edge difference
                a = (9 * w + 63) >> 7;
                store(plane, q0At + 2 * step, q2 - a);
                store(plane, q0At - 3 * step, p2 + a);
            }
            else {
                // if hev, do simple filter
                commonAdjust(true, plane, q0At, step); // using outer taps
            }
        }
    }

    private static void simpleSegment(int edgeLimit, // do nothing if edge difference exceeds limit
                                      byte[] plane, int q0At, int step) {
        int p1 = plane[q0At - 2 * step] & 0xFF;
        int p0 = plane[q0At - step] & 0xFF;
        int q0 = plane[q0At] & 0xFF;
        int q1 = plane[q0At + step] & 0xFF;
        if ((abs(p0 - q0) * 2 + abs(p1 - q1) / 2) <= edgeLimit) {
            commonAdjust(true, plane, q0At, step); // use outer taps
        }
    }

    private static void subblockFilter(int hevThreshold, // detect high edge variance
                                       int interiorLimit, // possibly disable filter
                                       int edgeLimit, byte[] plane, int q0At, int step) {
        int p3 = signed(plane, q0At - 4 * step), p2 = signed(plane, q0At - 3 * step);
        int p1 = signed(plane, q0At - 2 * step), p0 = signed(plane, q0At - step);
        int q0 = signed(plane, q0At), q1 = signed(plane, q0At + step);
        int q2 = signed(plane, q0At + 2 * step), q3 = signed(plane, q0At + 3 * step);
        if (filterYes(interiorLimit, edgeLimit, q3, q2, q1, q0, p0, p1, p2, p3)) {
            boolean hv = hev(hevThreshold, p1, p0, q0, q1);
            int a = (commonAdjust(hv, plane, q0At, step) + 1) >> 1;
            if (!hv) {
                store(plane, q0At + step, q1 - a);
                store(plane, q0At - 2 * step, p1 + a);
            }
        }
    }
}
