package io.multimodalrag.image;

/**
 * What a walk over a JPEG's marker segments tells us before decoding: the number of colour components (4 means
 * CMYK or YCCK, which we convert ourselves), the Adobe APP14 colour transform, and whether the file is complete.
 *
 * @param components     components in the frame header, or -1 if no SOF segment was found
 * @param adobeTransform transform byte of the last Adobe APP14 segment (0 = none/CMYK, 1 = YCbCr, 2 = YCCK), or -1
 * @param complete       true when a scan starts and an EOI marker follows it; false for a truncated file
 */
record JpegStructure(int components, int adobeTransform, boolean complete) {

    private static final int SOS = 0xDA;
    private static final int EOI = 0xD9;
    private static final int APP14 = 0xEE;

    /**
     * libjpeg's rule for 4-component files: YCCK when an Adobe marker says any transform other than 0, plain
     * CMYK otherwise (including when there is no Adobe marker at all).
     */
    boolean isYcck() {
        return components == 4 && adobeTransform > 0;
    }

    static JpegStructure scan(byte[] bytes) {
        int components = -1;
        int adobeTransform = -1;
        int scanStart = -1;
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
            } else if (marker == APP14 && length >= 14 && isAdobe(bytes, data)) {
                adobeTransform = bytes[data + 11] & 0xFF;
            } else if (marker == SOS) {
                scanStart = position;
                break;
            }
            position = end;
        }
        // Entropy-coded data escapes every 0xFF, so an FF D9 after the first scan can only be the real EOI.
        boolean complete = scanStart >= 0 && lastEndOfImage(bytes) > scanStart;
        return new JpegStructure(components, adobeTransform, complete);
    }

    private static boolean isStartOfFrame(int marker) {
        return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    }

    private static boolean isAdobe(byte[] bytes, int offset) {
        return bytes[offset] == 'A' && bytes[offset + 1] == 'd' && bytes[offset + 2] == 'o'
                && bytes[offset + 3] == 'b' && bytes[offset + 4] == 'e';
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
