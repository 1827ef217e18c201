package io.multimodalrag.image;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;

/**
 * EXIF orientation (tag 0x0112): reading it, and turning the stored pixels upright the way Pillow's
 * {@code ImageOps.exif_transpose} does, so phone photos reach CLIP the right way up.
 *
 * <p>Reading looks at nothing but the orientation: it finds the file's EXIF block (a JPEG's first APP1 "Exif"
 * segment before the first scan, from {@link JpegStructure}'s walk over the segments; a PNG's eXIf chunk, a WebP's
 * EXIF chunk) by walking segment or chunk headers, and
 * reads the one tag from the block's first directory (IFD0), bounds-checked against the block. Nothing is
 * decompressed (no zTXt, no XMP), no other directory is followed, nothing recurses: the work is at most a walk over
 * the file's headers plus one directory of at most 65,535 entries, whatever the file holds. A general metadata
 * library reads every directory, maker note and XMP packet to answer the same question: seconds of a worker for a
 * crafted 1 MB PNG, and a stack overflow for deeply nested XMP.
 */
final class ExifOrientation {

    static final int NORMAL = 1;

    private static final int TAG_ORIENTATION = 0x0112;
    private static final int TYPE_BYTE = 1;
    private static final int TYPE_SHORT = 3;
    private static final int TYPE_LONG = 4;

    private ExifOrientation() {
    }

    /** The orientation recorded in the file, or {@link #NORMAL} when there is none or the EXIF block is unreadable. */
    static int read(byte[] bytes) {
        try {
            long block = switch (ImageFormat.sniff(bytes).orElse(ImageFormat.BMP)) {
                case JPEG -> {
                    JpegStructure jpeg = JpegStructure.scan(bytes);
                    yield jpeg.exifStart() < 0 ? -1 : block(jpeg.exifStart(), jpeg.exifEnd());
                }
                case PNG -> pngExif(bytes);
                case WEBP -> webpExif(bytes);
                default -> -1;
            };
            return block < 0 ? NORMAL : orientationInTiff(bytes, (int) (block >>> 32), (int) block);
        } catch (RuntimeException brokenMetadata) {
            // Broken metadata must not cost the user their upload: the pixels are still fine.
            return NORMAL;
        }
    }

    /** The orientation of a JPEG whose segments {@code jpeg} describes: a walk the decoder has made already. */
    static int read(byte[] bytes, JpegStructure jpeg) {
        try {
            return jpeg.exifStart() < 0 ? NORMAL : orientationInTiff(bytes, jpeg.exifStart(), jpeg.exifEnd());
        } catch (RuntimeException brokenMetadata) {
            return NORMAL;
        }
    }

    /** The eXIf chunk, wherever it is: Pillow reads one after the image data too. */
    private static long pngExif(byte[] bytes) {
        int position = 8; // after the signature
        while (position + 8 <= bytes.length) {
            long length = unsigned32(bytes, position, false);
            int data = position + 8;
            if (length > bytes.length - data) {
                return -1;
            }
            int end = data + (int) length;
            if (isType(bytes, position + 4, "eXIf")) {
                return hasExifPrefix(bytes, data, end) ? block(data + 6, end) : block(data, end);
            }
            if (isType(bytes, position + 4, "IEND")) {
                return -1;
            }
            position = end + 4; // the CRC
        }
        return -1;
    }

    /** The EXIF chunk of a RIFF WebP. */
    private static long webpExif(byte[] bytes) {
        int position = 12; // after "RIFF", the size and "WEBP"
        while (position + 8 <= bytes.length) {
            long length = unsigned32(bytes, position + 4, true);
            int data = position + 8;
            if (length > bytes.length - data) {
                return -1;
            }
            int end = data + (int) length;
            if (isType(bytes, position, "EXIF")) {
                return hasExifPrefix(bytes, data, end) ? block(data + 6, end) : block(data, end);
            }
            position = end + (int) (length & 1); // chunks are padded to an even length
        }
        return -1;
    }

    /** Tag 0x0112 of IFD0 of the TIFF structure in {@code bytes[start, end)}; {@link #NORMAL} if absent or invalid. */
    private static int orientationInTiff(byte[] bytes, int start, int end) {
        if (end - start < 8) {
            return NORMAL;
        }
        boolean little;
        if (bytes[start] == 'I' && bytes[start + 1] == 'I') {
            little = true;
        } else if (bytes[start] == 'M' && bytes[start + 1] == 'M') {
            little = false;
        } else {
            return NORMAL;
        }
        if (unsigned16(bytes, start + 2, little) != 42) {
            return NORMAL;
        }
        long ifd = unsigned32(bytes, start + 4, little);
        if (ifd < 8 || ifd > end - start - 2L) {
            return NORMAL;
        }
        int directory = start + (int) ifd;
        int entries = unsigned16(bytes, directory, little);
        int orientation = NORMAL;
        for (int i = 0; i < entries; i++) {
            int entry = directory + 2 + 12 * i;
            if (entry + 12 > end) {
                break; // a directory cut short: what was read stands
            }
            if (unsigned16(bytes, entry, little) != TAG_ORIENTATION || unsigned32(bytes, entry + 4, little) < 1) {
                continue;
            }
            int value = switch (unsigned16(bytes, entry + 2, little)) {
                case TYPE_SHORT -> unsigned16(bytes, entry + 8, little);
                case TYPE_LONG -> (int) Math.min(unsigned32(bytes, entry + 8, little), Integer.MAX_VALUE);
                case TYPE_BYTE -> bytes[entry + 8] & 0xFF;
                default -> NORMAL;
            };
            orientation = value >= 1 && value <= 8 ? value : NORMAL; // a repeated tag: the last one counts
        }
        return orientation;
    }

    private static long block(int start, int end) {
        return start <= end ? (long) start << 32 | end : -1;
    }

    private static boolean hasExifPrefix(byte[] bytes, int data, int end) {
        return end - data >= 6 && bytes[data] == 'E' && bytes[data + 1] == 'x' && bytes[data + 2] == 'i'
                && bytes[data + 3] == 'f' && bytes[data + 4] == 0 && bytes[data + 5] == 0;
    }

    private static boolean isType(byte[] bytes, int offset, String type) {
        for (int i = 0; i < 4; i++) {
            if (bytes[offset + i] != type.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static int unsigned16(byte[] bytes, int offset, boolean little) {
        int a = bytes[offset] & 0xFF;
        int b = bytes[offset + 1] & 0xFF;
        return little ? b << 8 | a : a << 8 | b;
    }

    private static long unsigned32(byte[] bytes, int offset, boolean little) {
        long value = 0;
        for (int i = 0; i < 4; i++) {
            int shift = little ? 8 * i : 8 * (3 - i);
            value |= (bytes[offset + i] & 0xFFL) << shift;
        }
        return value;
    }

    /**
     * Returns {@code image} (TYPE_INT_RGB) turned upright. Each orientation is a walk over the source with a start
     * index and steps per output column and row; for 5–8 width and height swap.
     */
    static BufferedImage apply(BufferedImage image, int orientation) {
        if (orientation < 2 || orientation > 8) {
            return image;
        }
        int width = image.getWidth();
        int height = image.getHeight();
        int last = (height - 1) * width; // start of the bottom row
        int start;
        int columnStep;
        int rowStep;
        switch (orientation) {
            case 2 -> { // mirrored left-right
                start = width - 1;
                columnStep = -1;
                rowStep = width;
            }
            case 3 -> { // rotated 180°
                start = last + width - 1;
                columnStep = -1;
                rowStep = -width;
            }
            case 4 -> { // mirrored top-bottom
                start = last;
                columnStep = 1;
                rowStep = -width;
            }
            case 5 -> { // transposed
                start = 0;
                columnStep = width;
                rowStep = 1;
            }
            case 6 -> { // needs 90° clockwise (Pillow: ROTATE_270)
                start = last;
                columnStep = -width;
                rowStep = 1;
            }
            case 7 -> { // transversed
                start = last + width - 1;
                columnStep = -width;
                rowStep = -1;
            }
            default -> { // 8: needs 90° counter-clockwise (Pillow: ROTATE_90)
                start = width - 1;
                columnStep = width;
                rowStep = -1;
            }
        }
        boolean swap = orientation >= 5;
        int outWidth = swap ? height : width;
        int outHeight = swap ? width : height;
        int[] in = ((DataBufferInt) image.getRaster().getDataBuffer()).getData();
        BufferedImage upright = new BufferedImage(outWidth, outHeight, BufferedImage.TYPE_INT_RGB);
        int[] out = ((DataBufferInt) upright.getRaster().getDataBuffer()).getData();
        for (int y = 0, o = 0; y < outHeight; y++) {
            int source = start + y * rowStep;
            for (int x = 0; x < outWidth; x++, source += columnStep) {
                out[o++] = in[source];
            }
        }
        return upright;
    }
}
