package io.multimodalrag.image;

/**
 * What a walk over a JPEG's marker segments tells us before decoding: how libjpeg (and therefore Pillow, CLIP's
 * reference decoder) interprets the colour components, and whether the file is complete.
 *
 * @param colorSpace the colour space of the stored components, by libjpeg's rules
 * @param complete   true when a scan starts and an EOI marker follows it; false for a truncated file
 * @param libjpegRgb true when the JDK's reader reads the colours as libjpeg (and so Pillow) does and may let libjpeg
 *                   convert them to RGB: grey, or YCbCr that every decoder recognises as such (an Adobe marker saying
 *                   YCbCr, or a JFIF marker or component ids 1, 2, 3 without an Adobe marker). The JDK overrides
 *                   libjpeg's guess elsewhere (an Adobe marker saying RGB, other component ids with equal sampling)
 *                   and those go through {@link JpegRasterConverter}'s own conversion.
 * @param exifStart  where the TIFF structure of the first APP1 "Exif" segment before the first scan begins (after its
 *                   "Exif\0\0"), the block Pillow reads the orientation from; -1 when there is none
 * @param exifEnd    where that segment ends; -1 when there is none
 */
record JpegStructure(ColorSpace colorSpace, boolean complete, boolean libjpegRgb, int exifStart, int exifEnd) {

    /** libjpeg's {@code jpeg_color_space} guesses (jdapimin.c {@code default_decompress_parms}). */
    enum ColorSpace {
        GREY, YCBCR, RGB, CMYK, YCCK,
        /** No frame header found, or a component count (2, 5+) that Pillow refuses. */
        UNKNOWN
    }

    private static final int SOS = 0xDA;
    private static final int EOI = 0xD9;
    private static final int APP0 = 0xE0;
    private static final int APP1 = 0xE1;
    private static final int APP14 = 0xEE;

    static JpegStructure scan(byte[] bytes) {
        int components = -1;
        int[] componentIds = new int[3];
        boolean jfif = false;
        int adobeTransform = -1;
        int scanStart = -1;
        int exifStart = -1;
        int exifEnd = -1;
        int position = 2; // after SOI
        while (position + 1 < bytes.length) {
            if ((bytes[position] & 0xFF) != 0xFF) {
                // Stray bytes between segments: libjpeg skips them with a warning, so do we.
                position++;
                continue;
            }
            int marker = bytes[position + 1] & 0xFF;
            if (marker == 0xFF) {
                position++; // fill byte
                continue;
            }
            if (marker == 0x01 || marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7)) {
                position += 2; // stand-alone markers carry no length
                continue;
            }
            if (marker == EOI || position + 3 >= bytes.length) {
                break;
            }
            int length = (bytes[position + 2] & 0xFF) << 8 | (bytes[position + 3] & 0xFF);
            int data = position + 4;
            int end = position + 2 + length;
            if (length < 2 || end > bytes.length) {
                break;
            }
            if (isStartOfFrame(marker) && length >= 8) {
                components = bytes[data + 5] & 0xFF;
                for (int i = 0; i < Math.min(components, 3) && data + 6 + 3 * i < end; i++) {
                    componentIds[i] = bytes[data + 6 + 3 * i] & 0xFF;
                }
            } else if (marker == APP0 && length >= 16 && startsWith(bytes, data, "JFIF\0")) {
                jfif = true;
            } else if (marker == APP1 && exifStart < 0 && length >= 8 && startsWith(bytes, data, "Exif\0\0")) {
                exifStart = data + 6; // the first one, as Pillow keeps
                exifEnd = end;
            } else if (marker == APP14 && length >= 14 && startsWith(bytes, data, "Adobe")) {
                adobeTransform = bytes[data + 11] & 0xFF; // the last Adobe marker wins, as in libjpeg
            } else if (marker == SOS) {
                scanStart = position;
                break;
            }
            position = end;
        }
        // Entropy-coded data escapes every 0xFF, so an FF D9 after the first scan can only be the real EOI.
        boolean complete = scanStart >= 0 && lastEndOfImage(bytes) > scanStart;
        ColorSpace colorSpace = colorSpace(components, componentIds, jfif, adobeTransform);
        boolean plainYCbCr = adobeTransform == 1
                || adobeTransform < 0 && (jfif || componentIds[0] == 1 && componentIds[1] == 2 && componentIds[2] == 3);
        boolean libjpegRgb = colorSpace == ColorSpace.GREY || colorSpace == ColorSpace.YCBCR && plainYCbCr;
        return new JpegStructure(colorSpace, complete, libjpegRgb, exifStart, exifEnd);
    }

    private static ColorSpace colorSpace(int components, int[] ids, boolean jfif, int adobeTransform) {
        switch (components) {
            case 1:
                return ColorSpace.GREY;
            case 3:
                if (jfif) {
                    return ColorSpace.YCBCR;
                }
                if (adobeTransform >= 0) {
                    return adobeTransform == 0 ? ColorSpace.RGB : ColorSpace.YCBCR;
                }
                if (ids[0] == 'R' && ids[1] == 'G' && ids[2] == 'B') {
                    return ColorSpace.RGB;
                }
                return ColorSpace.YCBCR; // component ids 1, 2, 3 or anything else
            case 4:
                return adobeTransform > 0 ? ColorSpace.YCCK : ColorSpace.CMYK;
            default:
                return ColorSpace.UNKNOWN;
        }
    }

    private static boolean isStartOfFrame(int marker) {
        return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    }

    private static boolean startsWith(byte[] bytes, int offset, String ascii) {
        if (offset + ascii.length() > bytes.length) {
            return false;
        }
        for (int i = 0; i < ascii.length(); i++) {
            if (bytes[offset + i] != ascii.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static int lastEndOfImage(byte[] bytes) {
        for (int i = bytes.length - 2; i >= 0; i--) {
            if ((bytes[i] & 0xFF) == 0xFF && (bytes[i + 1] & 0xFF) == EOI) {
                return i;
            }
        }
        return -1;
    }
}
