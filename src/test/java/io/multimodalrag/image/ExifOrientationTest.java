package io.multimodalrag.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multimodalrag.testing.TestResources;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Reading the orientation tag alone, from a bounded walk over the file's headers. */
class ExifOrientationTest {

    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

    /** A TIFF block whose IFD0 has {@code entries} (tag, type, value) triples. */
    private static byte[] tiff(ByteOrder order, int[]... entries) {
        ByteBuffer tiff = ByteBuffer.allocate(8 + 2 + 12 * entries.length + 4).order(order);
        tiff.put(order == ByteOrder.LITTLE_ENDIAN ? (byte) 'I' : (byte) 'M');
        tiff.put(order == ByteOrder.LITTLE_ENDIAN ? (byte) 'I' : (byte) 'M');
        tiff.putShort((short) 42).putInt(8).putShort((short) entries.length);
        for (int[] entry : entries) {
            tiff.putShort((short) entry[0]).putShort((short) entry[1]).putInt(1);
            if (entry[1] == 3) {
                tiff.putShort((short) entry[2]).putShort((short) 0);
            } else if (entry[1] == 1) {
                tiff.put((byte) entry[2]).put(new byte[3]);
            } else {
                tiff.putInt(entry[2]);
            }
        }
        tiff.putInt(0); // no next IFD
        return tiff.array();
    }

    private static byte[] orientationTiff(int orientation) {
        return tiff(ByteOrder.BIG_ENDIAN, new int[] {0x010F, 3, 7}, new int[] {0x0112, 3, orientation});
    }

    /** A JPEG of segments: SOI, the given APP segments, then a scan of the real file {@code base}. */
    private static byte[] jpegWith(byte[]... segments) {
        byte[] base = TestResources.bytes("images/edge/orientation_1.jpg");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0xFF);
        out.write(0xD8);
        for (byte[] segment : segments) {
            out.writeBytes(segment);
        }
        out.write(base, 2, base.length - 2);
        return out.toByteArray();
    }

    private static byte[] segment(int marker, byte[] payload) {
        ByteBuffer segment = ByteBuffer.allocate(4 + payload.length);
        segment.put((byte) 0xFF).put((byte) marker).putShort((short) (payload.length + 2)).put(payload);
        return segment.array();
    }

    private static byte[] exifApp1(byte[] tiff) {
        return segment(0xE1, concat("Exif\0\0".getBytes(StandardCharsets.US_ASCII), tiff));
    }

    private static byte[] pngChunk(String type, byte[] data) {
        ByteBuffer chunk = ByteBuffer.allocate(12 + data.length);
        chunk.putInt(data.length).put(type.getBytes(StandardCharsets.US_ASCII)).put(data);
        CRC32 crc = new CRC32();
        crc.update(type.getBytes(StandardCharsets.US_ASCII));
        crc.update(data);
        chunk.putInt((int) crc.getValue());
        return chunk.array();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    @ParameterizedTest(name = "orientation {0}")
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8})
    void theTagOfTheFirstExifSegmentIsRead(int orientation) {
        assertEquals(orientation, ExifOrientation.read(jpegWith(exifApp1(orientationTiff(orientation)),
                exifApp1(orientationTiff(orientation == 3 ? 6 : 3)))));
    }

    @Test
    void bothByteOrdersAndTheIntegerTypesAreRead() {
        assertEquals(6, ExifOrientation.read(jpegWith(exifApp1(tiff(ByteOrder.LITTLE_ENDIAN, new int[] {0x0112, 3, 6})))));
        assertEquals(8, ExifOrientation.read(jpegWith(exifApp1(tiff(ByteOrder.BIG_ENDIAN, new int[] {0x0112, 4, 8})))));
        assertEquals(5, ExifOrientation.read(jpegWith(exifApp1(tiff(ByteOrder.LITTLE_ENDIAN, new int[] {0x0112, 1, 5})))));
    }

    @Test
    void badValuesAndBrokenBlocksReadAsNormal() {
        assertEquals(1, ExifOrientation.read(jpegWith(exifApp1(orientationTiff(9)))));
        assertEquals(1, ExifOrientation.read(jpegWith(exifApp1(orientationTiff(0)))));
        // IFD0 pointing past the block, a directory claiming more entries than the block holds, a bad magic.
        byte[] farOffset = orientationTiff(6);
        farOffset[7] = 120;
        assertEquals(1, ExifOrientation.read(jpegWith(exifApp1(farOffset))));
        byte[] cutShort = Arrays.copyOf(orientationTiff(6), 8 + 2 + 12); // the orientation entry cut off
        assertEquals(1, ExifOrientation.read(jpegWith(exifApp1(cutShort))));
        byte[] badMagic = orientationTiff(6);
        badMagic[3] = 43;
        assertEquals(1, ExifOrientation.read(jpegWith(exifApp1(badMagic))));
        // An APP1 that is XMP, not EXIF; a segment whose length runs past the file.
        assertEquals(1, ExifOrientation.read(jpegWith(segment(0xE1, "http://ns.adobe.com/xap/1.0/\0<x/>"
                .getBytes(StandardCharsets.US_ASCII)))));
        byte[] overlong = {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xE1, (byte) 0xFF, (byte) 0xFF, 'E', 'x'};
        assertEquals(1, ExifOrientation.read(overlong));
        assertEquals(1, ExifOrientation.read(new byte[0]));
    }

    @Test
    void exifAfterTheFirstScanIsNotTheHeaders() {
        byte[] base = TestResources.bytes("images/edge/orientation_1.jpg");
        // Appended after the image's end: libjpeg and Pillow never see it.
        assertEquals(1, ExifOrientation.read(concat(base, exifApp1(orientationTiff(6)))));
    }

    @Test
    void pngAndWebpChunksAreFound() {
        byte[] header = pngChunk("IHDR", new byte[13]);
        assertEquals(6, ExifOrientation.read(concat(PNG_SIGNATURE, header, pngChunk("eXIf", orientationTiff(6)),
                pngChunk("IEND", new byte[0]))));
        assertEquals(3, ExifOrientation.read(concat(PNG_SIGNATURE, header, pngChunk("IDAT", new byte[10]),
                pngChunk("eXIf", concat("Exif\0\0".getBytes(StandardCharsets.US_ASCII), orientationTiff(3))),
                pngChunk("IEND", new byte[0]))));
        assertEquals(6, ExifOrientation.read(TestResources.bytes("images/edge/orientation_6.webp")));
        assertEquals(6, ExifOrientation.read(TestResources.bytes("images/edge/orientation_6.png")));
    }

    @Test
    void compressedTextChunksAreNeverInflatedToFindTheTag() {
        // 200 zTXt chunks of 5 KB that would inflate to 5 MB each (1 GB in all), ahead of the eXIf chunk.
        byte[] bomb = TestResources.deflate(new byte[5 << 20]);
        byte[] text = concat("Comment\0\0".getBytes(StandardCharsets.US_ASCII), bomb);
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        png.writeBytes(PNG_SIGNATURE);
        png.writeBytes(pngChunk("IHDR", new byte[13]));
        for (int i = 0; i < 200; i++) {
            png.writeBytes(pngChunk("zTXt", text));
        }
        png.writeBytes(pngChunk("eXIf", orientationTiff(8)));
        png.writeBytes(pngChunk("IEND", new byte[0]));
        assertTrue(png.size() < 2_000_000, "a file well under the upload limit: " + png.size());
        assertEquals(8, ExifOrientation.read(png.toByteArray()));
    }

    @Test
    void deeplyNestedXmpIsNotParsed() {
        byte[] jpeg = jpegWith(segment(0xE1, TestResources.nestedXmpPacket()), exifApp1(orientationTiff(6)));
        assertEquals(6, ExifOrientation.read(jpeg));
    }

}
