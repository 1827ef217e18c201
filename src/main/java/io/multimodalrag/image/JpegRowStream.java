package io.multimodalrag.image;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.event.IIOReadUpdateListener;

/**
 * Decodes a sequential YCbCr JPEG ({@link JpegStructure#streamable()}) with the JDK's libjpeg reader and hands its
 * rows to a {@link RowReceiver} while libjpeg decodes the next ones.
 *
 * <p>The JDK's reader is used directly (TwelveMonkeys' wraps it and would make its own colour decisions). libjpeg
 * converts YCbCr to RGB itself here (as in {@link JpegRasterConverter#readRgb}: the same fixed-point tables as
 * Pillow's libjpeg) into an interleaved RGB buffer in the file's own colour space (its embedded
 * ICC profile's, else sRGB), the one destination the reader does not convert into: ImageIO's colour management stays
 * out exactly as with {@code readRaster}. The reader reports each finished row to an update listener; rows of the
 * receiver's region are packed to {@code 0xRRGGBB} ({@link JpegRasterConverter#packRgb}) a few at a time ({@value #CHUNK_ROWS}) and
 * handed over:
 * <ul>
 *   <li>with a helper executor (a lone image on an idle pool), by the helper thread, which follows libjpeg a few rows
 *       behind; when decoding ends, the caller takes whatever rows are still unclaimed, so a helper that never starts
 *       costs nothing;</li>
 *   <li>without one ({@link RangeSplit#SEQUENTIAL}), by the decoding thread itself from the listener, while the rows
 *       are still in its cache.</li>
 * </ul>
 * Either way every row of the region is handed over exactly once, and no call is running or starts after
 * {@link #decode} returns or throws.
 */
final class JpegRowStream {

    /** Rows repacked and handed over at a time: a few microseconds of work per hand-over. */
    static final int CHUNK_ROWS = 8;
    /** The RGB buffer kept per thread, in bytes (2 megapixels); a larger picture gets a buffer of its own. */
    private static final int MAX_KEPT_BYTES = 6 << 20;
    private static final ThreadLocal<byte[]> BUFFERS = ThreadLocal.withInitial(() -> new byte[0]);

    private JpegRowStream() {
    }

    /**
     * Decodes the image behind {@code reader} (input set, header read, size checked) and hands the receiver's region to
     * it. {@code helper} may take the hand-over ({@link RangeSplit#SEQUENTIAL} for none).
     */
    static void decode(ImageReader reader, int width, int height, RowReceiver receiver, Executor helper)
            throws IOException {
        ColorSpace own = JpegRasterConverter.ownColorSpace(reader);
        RowReceiver.Region region = receiver.begin(width, height);
        if (region.firstRow() < 0 || region.endRow() > height || region.firstRow() >= region.endRow()
                || region.firstColumn() < 0 || region.endColumn() > width || region.firstColumn() >= region.endColumn()) {
            throw new IllegalArgumentException("region " + region + " is not inside the " + width + "×" + height + " image");
        }
        byte[] rgb = buffer(width * height * 3);
        WritableRaster raster = Raster.createInterleavedRaster(new DataBufferByte(rgb, width * height * 3), width, height,
                width * 3, 3, new int[] {0, 1, 2}, null);
        ColorModel model = new ComponentColorModel(own, false, false, Transparency.OPAQUE, DataBuffer.TYPE_BYTE);
        ImageReadParam param = reader.getDefaultReadParam();
        param.setDestination(new BufferedImage(model, raster, false, null));

        Rows rows = new Rows(rgb, width, region, receiver, helper == RangeSplit.SEQUENTIAL);
        reader.addIIOReadUpdateListener(rows);
        if (helper != RangeSplit.SEQUENTIAL) {
            try {
                helper.execute(rows::follow);
            } catch (RejectedExecutionException e) {
                // The pool is full: this thread hands every row over once decoding is done.
            }
        }
        try {
            reader.read(0, param);
        } catch (IOException | RuntimeException | Error e) {
            rows.abandon();
            throw e;
        }
        rows.finish();
    }

    /**
     * Room for a chunk of rows and one row more: a vector loop that gathers a few pixels past a row's last one (with
     * zero weights) stays vectorised on the chunk's last row too.
     */
    private static int[] chunkPixels(int width) {
        return new int[(CHUNK_ROWS + 1) * width];
    }

    private static byte[] buffer(int length) {
        if (length > MAX_KEPT_BYTES) {
            return new byte[length];
        }
        byte[] buffer = BUFFERS.get();
        if (buffer.length < length) {
            buffer = new byte[length];
            BUFFERS.set(buffer);
        }
        return buffer;
    }

    /** The hand-over of one image's rows: who takes which rows, and when all are done. */
    private static final class Rows implements IIOReadUpdateListener {
        private final byte[] rgb;
        private final int width;
        private final RowReceiver.Region region;
        private final RowReceiver receiver;
        /** No helper: the decoding thread hands rows over from the listener. */
        private final boolean inline;
        /** The next row to claim; {@code Integer.MAX_VALUE} once abandoned. */
        private final AtomicInteger next;
        /** Rows claimed (counted just before the claim, so never fewer than claimed) and rows handed over. */
        private final AtomicInteger claimed = new AtomicInteger();
        private final AtomicInteger done = new AtomicInteger();
        /** Rows libjpeg has finished, top to bottom. */
        private volatile int decoded;
        private volatile boolean stopped;
        /** The first failure of a hand-over (the receiver's), thrown to the caller once both threads are done. */
        private volatile Throwable failure;
        /** The helper while it follows libjpeg, for waking it; null otherwise. */
        private volatile Thread follower;
        /** The thread that decodes (and creates this). */
        private final Thread decoder = Thread.currentThread();
        /** The decoding thread's own repacking rows (the helper has its own). */
        private int[] ownPixels;

        Rows(byte[] rgb, int width, RowReceiver.Region region, RowReceiver receiver, boolean inline) {
            this.rgb = rgb;
            this.width = width;
            this.region = region;
            this.receiver = receiver;
            this.inline = inline;
            this.next = new AtomicInteger(region.firstRow());
        }

        /** On the helper: hands rows over as libjpeg finishes them, until none are left. */
        void follow() {
            if (Thread.currentThread() == decoder) {
                // An executor that runs tasks on the caller (Runnable::run, CallerRunsPolicy): waiting here for rows
                // would wait for decoding that has not started. The caller hands every row over after decoding.
                return;
            }
            int[] pixels = chunkPixels(width);
            follower = Thread.currentThread();
            try {
                while (true) {
                    if (handOver(pixels)) {
                        continue;
                    }
                    if (stopped) {
                        return;
                    }
                    // Woken by the listener after each chunk of rows; the timeout only bounds a missed wake-up.
                    LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(1));
                }
            } finally {
                follower = null;
            }
        }

        /** Claims the next chunk of decoded rows and hands it over; false when no decoded row is left to claim. */
        private boolean handOver(int[] pixels) {
            int limit = Math.min(decoded, region.endRow());
            int from = next.get();
            if (from >= limit) {
                return false;
            }
            int to = Math.min(from + CHUNK_ROWS, limit);
            claimed.addAndGet(to - from);
            if (!next.compareAndSet(from, to)) {
                claimed.addAndGet(from - to);
                return true; // the other thread took it; look again
            }
            try {
                repack(from, to, pixels);
                receiver.rows(pixels, width, from, to);
            } catch (RuntimeException | Error e) {
                if (failure == null) {
                    failure = e;
                }
                next.set(Integer.MAX_VALUE); // no more claims; the caller throws it after decoding
            } finally {
                done.addAndGet(to - from);
            }
            return true;
        }

        /** Rows from..to-1 of the region's columns, RGB bytes to 0xRRGGBB. */
        private void repack(int from, int to, int[] pixels) {
            int first = region.firstColumn();
            int count = region.endColumn() - first;
            for (int y = from; y < to; y++) {
                JpegRasterConverter.packRgb(rgb, y * width + first, count, pixels, (y - from) * width + first);
            }
        }

        /** After libjpeg's last row: hands over what the helper has not claimed, then waits for its last chunk. */
        void finish() {
            decoded = region.endRow();
            stopped = true;
            wakeFollower();
            int[] pixels = ownPixels();
            while (handOver(pixels)) {
                // claims chunk after chunk
            }
            awaitHandedOver();
            Throwable failed = failure;
            if (failed instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (failed instanceof Error error) {
                throw error;
            }
        }

        /** Decoding failed: stops all claims and waits for a chunk in progress, so nothing runs after the caller returns. */
        void abandon() {
            next.set(Integer.MAX_VALUE);
            stopped = true;
            wakeFollower();
            awaitHandedOver();
        }

        /** Once no more claims can start: waits until every claimed chunk has been handed over. */
        private void awaitHandedOver() {
            // At most one chunk (a few microseconds) is in progress on the helper.
            for (int spins = 0; done.get() < claimed.get(); spins++) {
                if (spins < 1_000) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.parkNanos(this, 10_000);
                }
            }
        }

        private int[] ownPixels() {
            if (ownPixels == null) {
                ownPixels = chunkPixels(width);
            }
            return ownPixels;
        }

        private void wakeFollower() {
            Thread thread = follower;
            if (thread != null) {
                LockSupport.unpark(thread);
            }
        }

        @Override
        public void imageUpdate(ImageReader source, BufferedImage image, int minX, int minY, int width, int height,
                                int periodX, int periodY, int[] bands) {
            // One call per row, on the decoding thread, after the row is in the buffer.
            int rowsDecoded = minY + height;
            decoded = rowsDecoded;
            int sinceFirst = rowsDecoded - region.firstRow();
            if (sinceFirst <= 0 || (sinceFirst % CHUNK_ROWS != 0 && rowsDecoded != region.endRow())) {
                return;
            }
            if (inline) {
                int[] pixels = ownPixels();
                while (handOver(pixels)) {
                    // the chunk just completed
                }
            } else {
                wakeFollower();
            }
        }

        @Override
        public void passStarted(ImageReader source, BufferedImage image, int pass, int minPass, int maxPass, int minX,
                                int minY, int periodX, int periodY, int[] bands) {
        }

        @Override
        public void passComplete(ImageReader source, BufferedImage image) {
        }

        @Override
        public void thumbnailPassStarted(ImageReader source, BufferedImage thumbnail, int pass, int minPass, int maxPass,
                                         int minX, int minY, int periodX, int periodY, int[] bands) {
        }

        @Override
        public void thumbnailUpdate(ImageReader source, BufferedImage thumbnail, int minX, int minY, int width,
                                    int height, int periodX, int periodY, int[] bands) {
        }

        @Override
        public void thumbnailPassComplete(ImageReader source, BufferedImage thumbnail) {
        }
    }
}
