package io.multimodalrag.image;

import com.drew.imaging.ImageMetadataReader;
import com.drew.imaging.ImageProcessingException;
import com.drew.metadata.Metadata;
import com.drew.metadata.MetadataException;
import com.drew.metadata.exif.ExifIFD0Directory;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.io.ByteArrayInputStream;
import java.io.IOException;

/**
 * EXIF orientation (tag 0x0112): reading it, and turning the stored pixels upright the way Pillow's
 * {@code ImageOps.exif_transpose} does, so phone photos reach CLIP the right way up.
 */
final class ExifOrientation {

    static final int NORMAL = 1;

    private ExifOrientation() {
    }

    /** The orientation recorded in the file, or {@link #NORMAL} when there is none or the EXIF block is unreadable. */
    static int read(byte[] bytes) {
        try {
            Metadata metadata = ImageMetadataReader.readMetadata(new ByteArrayInputStream(bytes), bytes.length);
            ExifIFD0Directory directory = metadata.getFirstDirectoryOfType(ExifIFD0Directory.class);
            if (directory == null || !directory.containsTag(ExifIFD0Directory.TAG_ORIENTATION)) {
                return NORMAL;
            }
            int orientation = directory.getInt(ExifIFD0Directory.TAG_ORIENTATION);
            return orientation >= 1 && orientation <= 8 ? orientation : NORMAL;
        } catch (ImageProcessingException | MetadataException | IOException | RuntimeException brokenMetadata) {
            // Broken metadata must not cost the user their upload: the pixels are still fine.
            return NORMAL;
        }
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
