package io.multimodalrag.image;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The image formats {@link ImageDecoder} accepts, recognised by their magic bytes rather than by file name or the
 * client's Content-Type, neither of which can be trusted.
 */
enum ImageFormat {
    JPEG("image/jpeg", "JPEG"),
    PNG("image/png", "PNG"),
    WEBP("image/webp", "WebP"),
    GIF("image/gif", "GIF"),
    BMP("image/bmp", "BMP");

    /** Human-readable list for error messages. */
    static final String SUPPORTED_LIST = "JPEG, PNG, WebP, GIF or BMP";

    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

    private final String mimeType;
    private final String displayName;

    ImageFormat(String mimeType, String displayName) {
        this.mimeType = mimeType;
        this.displayName = displayName;
    }

    String mimeType() {
        return mimeType;
    }

    String displayName() {
        return displayName;
    }

    /** The supported format whose signature starts {@code header}, if any. */
    static Optional<ImageFormat> sniff(byte[] header) {
        if (header == null) {
            return Optional.empty();
        }
        if (startsWith(header, 0, (byte) 0xFF, (byte) 0xD8, (byte) 0xFF)) {
            return Optional.of(JPEG);
        }
        if (startsWith(header, 0, PNG_SIGNATURE)) {
            return Optional.of(PNG);
        }
        if (startsWithAscii(header, 0, "RIFF") && startsWithAscii(header, 8, "WEBP")) {
            return Optional.of(WEBP);
        }
        if (startsWithAscii(header, 0, "GIF87a") || startsWithAscii(header, 0, "GIF89a")) {
            return Optional.of(GIF);
        }
        if (isBmp(header)) {
            return Optional.of(BMP);
        }
        return Optional.empty();
    }

    /**
     * The name of a real image format we recognise but do not decode, so the client can be told to convert it
     * rather than that it sent something that is not a picture.
     */
    static Optional<String> sniffUnsupported(byte[] header) {
        if (startsWithAscii(header, 0, "II*\0") || startsWithAscii(header, 0, "MM\0*")
                || startsWithAscii(header, 0, "II+\0") || startsWithAscii(header, 0, "MM\0+")) {
            return Optional.of("TIFF");
        }
        if (startsWithAscii(header, 4, "ftyp") && header.length >= 12) {
            String brand = new String(header, 8, 4, StandardCharsets.ISO_8859_1);
            switch (brand) {
                case "avif", "avis":
                    return Optional.of("AVIF");
                case "heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1":
                    return Optional.of("HEIC/HEIF");
                default:
                    return Optional.empty();
            }
        }
        if (startsWith(header, 0, (byte) 0, (byte) 0, (byte) 0, (byte) 0x0C, (byte) 'j', (byte) 'P', (byte) ' ', (byte) ' ')
                || startsWith(header, 0, (byte) 0xFF, (byte) 0x4F, (byte) 0xFF, (byte) 0x51)) {
            return Optional.of("JPEG 2000");
        }
        if (startsWith(header, 0, (byte) 0xFF, (byte) 0x0A)
                || startsWith(header, 0, (byte) 0, (byte) 0, (byte) 0, (byte) 0x0C, (byte) 'J', (byte) 'X', (byte) 'L', (byte) ' ')) {
            return Optional.of("JPEG XL");
        }
        if (startsWithAscii(header, 0, "8BPS")) {
            return Optional.of("Photoshop (PSD)");
        }
        if (looksLikeSvg(header)) {
            return Optional.of("SVG");
        }
        return Optional.empty();
    }

    static boolean isPdf(byte[] header) {
        return startsWithAscii(header, 0, "%PDF-");
    }

    /** "BM" alone is too weak (plenty of text starts with it), so also require a known DIB header size. */
    private static boolean isBmp(byte[] header) {
        if (!startsWithAscii(header, 0, "BM") || header.length < 18) {
            return false;
        }
        int dibHeaderSize = (header[14] & 0xFF) | (header[15] & 0xFF) << 8 | (header[16] & 0xFF) << 16 | (header[17] & 0xFF) << 24;
        return switch (dibHeaderSize) {
            case 12, 16, 40, 52, 56, 64, 108, 124 -> true;
            default -> false;
        };
    }

    private static boolean looksLikeSvg(byte[] header) {
        int length = Math.min(header.length, 1024);
        String start = new String(header, 0, length, StandardCharsets.ISO_8859_1).stripLeading();
        if (start.startsWith("\u00EF\u00BB\u00BF")) {
            start = start.substring(3).stripLeading();
        }
        return start.startsWith("<svg") || (start.startsWith("<?xml") || start.startsWith("<!DOCTYPE svg"))
                && start.contains("<svg");
    }

    private static boolean startsWithAscii(byte[] bytes, int offset, String ascii) {
        return startsWith(bytes, offset, ascii.getBytes(StandardCharsets.ISO_8859_1));
    }

    private static boolean startsWith(byte[] bytes, int offset, byte... prefix) {
        if (bytes == null || bytes.length < offset + prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (bytes[offset + i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }
}
