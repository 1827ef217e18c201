package io.multimodalrag.image;

import java.util.zip.CRC32;

/**
 * Checks a PNG's chunk layout and CRCs before decoding. The JDK's PNG reader skips chunk CRCs and may return a
 * partly decoded picture for a truncated file, while Pillow (CLIP's reference decoder) refuses both.
 */
final class PngIntegrity {

    private static final int SIGNATURE_LENGTH = 8;

    private PngIntegrity() {
    }

    /** Throws {@link ImageDecodingException} with reason CORRUPT if a chunk is cut short, has a bad CRC, or IEND is missing. */
    static void check(byte[] bytes) {
        CRC32 crc = new CRC32();
        int position = SIGNATURE_LENGTH;
        while (true) {
            if (position + 12 > bytes.length) {
                throw truncated();
            }
            long length = readUnsignedInt(bytes, position);
            if (length > bytes.length - position - 12L) {
                throw truncated();
            }
            int dataLength = (int) length;
            crc.reset();
            crc.update(bytes, position + 4, 4 + dataLength);
            long storedCrc = readUnsignedInt(bytes, position + 8 + dataLength);
            if (crc.getValue() != storedCrc) {
                throw new ImageDecodingException(ImageDecodingException.Reason.CORRUPT,
                        "the PNG image is damaged (a chunk checksum does not match); upload an intact copy of the file");
            }
            boolean end = bytes[position + 4] == 'I' && bytes[position + 5] == 'E'
                    && bytes[position + 6] == 'N' && bytes[position + 7] == 'D';
            if (end) {
                return;
            }
            position += 12 + dataLength;
        }
    }

    private static ImageDecodingException truncated() {
        return new ImageDecodingException(ImageDecodingException.Reason.CORRUPT,
                "the PNG image is truncated; upload the complete file");
    }

    private static long readUnsignedInt(byte[] bytes, int offset) {
        return (bytes[offset] & 0xFFL) << 24 | (bytes[offset + 1] & 0xFFL) << 16
                | (bytes[offset + 2] & 0xFFL) << 8 | (bytes[offset + 3] & 0xFFL);
    }
}
