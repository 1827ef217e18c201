package io.multimodalrag.image;

import io.multimodalrag.image.ImageDecodingException.Reason;
import io.multimodalrag.testing.TestResources;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import java.awt.color.ColorSpace;
import java.awt.color.ICC_Profile;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Random;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link ImageDecoder#decodeRows}: which JPEGs it streams, the rows it hands over, and how it stops. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class JpegRowStreamTest {

    private static final ExecutorService POOL = Executors.newFixedThreadPool(2);
    /** A helper that never starts: the decoding thread must hand everything over itself. */
    private static final Executor NEVER = command -> { };
    /** A helper that starts only after the decoding has finished. */
    private static final Executor LATE = command -> POOL.execute(() -> {
        sleep(30);
        command.run();
    });
    private final ImageDecoder decoder = new ImageDecoder(50_000_000);

    @AfterAll
    static void stopPool() {
        POOL.shutdownNow();
    }

    /** Collects what it is handed: every region pixel, which rows came, and whether a call overlapped a row twice. */
    private static final class Recorder implements RowReceiver {
        final Region wanted;
        int width;
        int height;
        int[] pixels;
        final BitSet rows = new BitSet();
        final AtomicInteger calls = new AtomicInteger();
        final AtomicInteger running = new AtomicInteger();
        volatile boolean repeated;
        volatile int failOnCall = -1;
        final long pauseMillis;

        Recorder(Region wanted, long pauseMillis) {
            this.wanted = wanted;
            this.pauseMillis = pauseMillis;
        }

        @Override
        public Region begin(int width, int height) {
            this.width = width;
            this.height = height;
            this.pixels = new int[width * height];
            return wanted != null ? wanted : new Region(0, height, 0, width);
        }

        @Override
        public void rows(int[] chunk, int width, int from, int to) {
            running.incrementAndGet();
            try {
                int call = calls.incrementAndGet();
                if (call == failOnCall) {
                    throw new IllegalStateException("receiver failure on call " + call);
                }
                Region region = wanted != null ? wanted : new Region(0, height, 0, width);
                synchronized (rows) {
                    if (rows.get(from, to).cardinality() > 0) {
                        repeated = true;
                    }
                    rows.set(from, to);
                }
                for (int y = from; y < to; y++) {
                    for (int x = region.firstColumn(); x < region.endColumn(); x++) {
                        pixels[y * width + x] = chunk[(y - from) * width + x];
                    }
                }
                if (pauseMillis > 0) {
                    sleep(pauseMillis);
                }
            } finally {
                running.decrementAndGet();
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"images/astronaut.jpg", "images/coffee.jpg", "images/hubble_panorama.jpg",
            "images/rocket.jpg"})
    void handsOverEveryRowOnceWithThePixelsOfDecode(String source) {
        byte[] bytes = TestResources.bytes(source);
        int[] expected = TestResources.rgb(decoder.decode(bytes));
        for (Executor helper : new Executor[] {POOL, RangeSplit.SEQUENTIAL, NEVER, LATE}) {
            Recorder recorder = new Recorder(null, 0);
            assertTrue(decoder.decodeRows(bytes, recorder, helper), source);
            assertFalse(recorder.repeated, source + ": a row was handed over twice");
            assertEquals(recorder.height, recorder.rows.cardinality(), source + ": rows handed over");
            assertEquals(-1, Arrays.mismatch(expected, recorder.pixels), source + ": first pixel that differs from decode()");
        }
    }

    /**
     * An executor that runs the helper's task on the caller itself (Runnable::run, a pool's CallerRunsPolicy) must not
     * make the caller wait for rows it has not decoded yet.
     */
    @Test
    void aHelperRunOnTheCallerDoesNotWaitForItself() {
        byte[] bytes = TestResources.bytes("images/coffee.jpg");
        int[] expected = TestResources.rgb(decoder.decode(bytes));
        Recorder recorder = new Recorder(null, 0);
        assertTrue(assertTimeoutPreemptively(Duration.ofSeconds(10), () -> decoder.decodeRows(bytes, recorder, Runnable::run)));
        assertEquals(-1, Arrays.mismatch(expected, recorder.pixels));
    }

    /** Only the receiver's region is handed over: its rows, and its columns with decode()'s pixels. */
    @Test
    void handsOverOnlyTheRegion() {
        byte[] bytes = TestResources.bytes("images/coffee.jpg");
        int[] expected = TestResources.rgb(decoder.decode(bytes));
        int width = 600;
        RowReceiver.Region region = new RowReceiver.Region(37, 301, 11, 250);
        for (Executor helper : new Executor[] {POOL, RangeSplit.SEQUENTIAL}) {
            Recorder recorder = new Recorder(region, 0);
            assertTrue(decoder.decodeRows(bytes, recorder, helper));
            assertEquals(width, recorder.width);
            assertEquals(region.endRow() - region.firstRow(), recorder.rows.cardinality());
            assertEquals(region.firstRow(), recorder.rows.nextSetBit(0));
            assertEquals(region.endRow(), recorder.rows.nextClearBit(region.firstRow()));
            for (int y = region.firstRow(); y < region.endRow(); y++) {
                for (int x = region.firstColumn(); x < region.endColumn(); x++) {
                    assertEquals(expected[y * width + x], recorder.pixels[y * width + x], "pixel " + x + "," + y);
                }
            }
        }
    }

    /**
     * An embedded ICC profile is not applied (Pillow ignores it too): the rows are libjpeg's, as from decode(),
     * although the reader would convert them into any other colour space.
     */
    @Test
    void anEmbeddedColourProfileChangesNoPixel() throws IOException {
        byte[] plain = jpeg(photo(320, 200, 7), "4:2:0");
        byte[] profiled = withApp2Icc(plain, ICC_Profile.getInstance(ColorSpace.CS_LINEAR_RGB).getData());
        int[] expected = TestResources.rgb(decoder.decode(profiled));
        assertEquals(-1, Arrays.mismatch(TestResources.rgb(decoder.decode(plain)), expected), "decode() ignores the profile");
        Recorder recorder = new Recorder(null, 0);
        assertTrue(decoder.decodeRows(profiled, recorder, POOL));
        assertEquals(-1, Arrays.mismatch(expected, recorder.pixels));
    }

    /** Sizes around the chunk and the CLIP window, including a single pixel. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"1x1", "7x9", "224x224", "225x17", "17x225", "640x8", "33x480"})
    void oddSizesStreamLikeDecode(String size) throws IOException {
        String[] wh = size.split("x");
        byte[] bytes = jpeg(photo(Integer.parseInt(wh[0]), Integer.parseInt(wh[1]), 3), "4:2:0");
        int[] expected = TestResources.rgb(decoder.decode(bytes));
        for (Executor helper : new Executor[] {POOL, RangeSplit.SEQUENTIAL}) {
            Recorder recorder = new Recorder(null, 0);
            assertTrue(decoder.decodeRows(bytes, recorder, helper), size);
            assertEquals(-1, Arrays.mismatch(expected, recorder.pixels), size);
        }
    }

    /** Everything that is not a plain sequential YCbCr JPEG is left to decode(), untouched. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"images/edge/progressive.jpg", "images/edge/cmyk.jpg", "images/edge/ycck.jpg",
            "images/edge/gray.jpg", "images/edge/orientation_6.jpg", "images/edge/orientation_3.jpg",
            "images/chelsea.png", "images/edge/lossy.webp", "images/invalid/truncated.jpg",
            "images/invalid/truncated_progressive.jpg", "images/invalid/empty.jpg", "images/invalid/text.txt"})
    void leavesOtherImagesToDecode(String source) {
        Recorder recorder = new Recorder(null, 0);
        assertFalse(decoder.decodeRows(TestResources.bytes(source), recorder, POOL), source);
        assertEquals(0, recorder.width, source + ": begin() was called");
        assertFalse(decoder.decodeRows(null, recorder, POOL));
    }

    @Test
    void aDecompressionBombIsRefusedBeforeAnyRow() {
        Recorder recorder = new Recorder(null, 0);
        byte[] bomb = TestResources.bytes("images/invalid/bomb.jpg");
        // bomb.jpg is progressive; the same header as a baseline frame must be refused from the header alone too.
        byte[] baseline = bomb.clone();
        for (int i = 2; i + 1 < baseline.length; i++) {
            if ((baseline[i] & 0xFF) == 0xFF && (baseline[i + 1] & 0xFF) == 0xC2) {
                baseline[i + 1] = (byte) 0xC0;
                break;
            }
        }
        for (byte[] bytes : new byte[][] {bomb, baseline}) {
            try {
                if (decoder.decodeRows(bytes, recorder, POOL)) {
                    throw new AssertionError("a 3600-megapixel JPEG was decoded");
                }
            } catch (ImageDecodingException e) {
                assertEquals(Reason.TOO_MANY_PIXELS, e.reason());
            }
            assertEquals(0, recorder.width, "begin() was called");
        }
    }

    /**
     * Damaged entropy data fails with an {@link ImageDecodingException} or decodes to something, like decode(); either
     * way no hand-over is running or starts once decodeRows has returned, even with a slow receiver on the helper.
     */
    @Test
    void nothingRunsAfterDecodeRowsReturnsOrThrows() throws IOException {
        byte[] good = jpeg(photo(480, 360, 11), "4:2:0");
        Random random = new Random(5);
        for (int round = 0; round < 40; round++) {
            byte[] damaged = good.clone();
            int scan = indexOfStartOfScan(damaged) + 20;
            for (int i = 0; i < 6; i++) {
                damaged[scan + random.nextInt(damaged.length - scan - 2)] = (byte) random.nextInt(256);
            }
            Recorder recorder = new Recorder(null, 1);
            try {
                decoder.decodeRows(damaged, recorder, POOL);
            } catch (ImageDecodingException e) {
                // as decode() would; what matters here is what still runs afterwards
            }
            assertEquals(0, recorder.running.get(), "a hand-over still running after return");
            int calls = recorder.calls.get();
            sleep(5);
            assertEquals(calls, recorder.calls.get(), "a hand-over started after return");
        }
    }

    /** A receiver that throws stops the stream; decodeRows throws once nothing of it runs any more. */
    @Test
    void aReceiverFailureIsThrownAfterTheHandOverStops() throws IOException {
        byte[] bytes = jpeg(photo(320, 480, 13), "4:2:0");
        for (Executor helper : new Executor[] {POOL, RangeSplit.SEQUENTIAL}) {
            Recorder recorder = new Recorder(null, 1);
            recorder.failOnCall = 3;
            ImageDecodingException thrown = assertThrows(ImageDecodingException.class,
                    () -> decoder.decodeRows(bytes, recorder, helper));
            assertEquals(Reason.CORRUPT, thrown.reason());
            assertEquals(0, recorder.running.get());
            int calls = recorder.calls.get();
            sleep(5);
            assertEquals(calls, recorder.calls.get(), "a hand-over started after the failure was thrown");
            assertTrue(calls < 60, "the stream went on after the failure: " + calls + " calls");
        }
    }

    /** A YCbCr JPEG without the JFIF marker (component ids 1, 2, 3, as cameras write them) streams too. */
    @Test
    void ycbcrWithoutJfifMarkerStreams() throws IOException {
        byte[] jfif = jpeg(photo(200, 150, 17), "4:2:0");
        byte[] bare = withoutApp0(jfif);
        int[] expected = TestResources.rgb(decoder.decode(bare));
        Recorder recorder = new Recorder(null, 0);
        assertTrue(decoder.decodeRows(bare, recorder, POOL));
        assertEquals(-1, Arrays.mismatch(expected, recorder.pixels));
    }

    static BufferedImage photo(int width, int height, long seed) {
        // Smooth gradients with noise: chroma that subsampling and the IDCT actually change.
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        Random random = new Random(seed);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int r = (x * 255 / Math.max(1, width - 1) + random.nextInt(40)) & 0xFF;
                int g = (y * 255 / Math.max(1, height - 1) + random.nextInt(40)) & 0xFF;
                int b = ((x + y) * 3 + random.nextInt(40)) & 0xFF;
                image.setRGB(x, y, r << 16 | g << 8 | b);
            }
        }
        return image;
    }

    /** A baseline JFIF JPEG from the JDK's writer (4:2:0). */
    static byte[] jpeg(BufferedImage image, String subsampling) throws IOException {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
            writer.setOutput(stream);
            writer.write(new IIOImage(image, null, null));
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }

    /** Inserts an APP2 ICC_PROFILE segment (one chunk) right after SOI. */
    private static byte[] withApp2Icc(byte[] jpeg, byte[] profile) {
        byte[] tag = "ICC_PROFILE\0".getBytes(StandardCharsets.US_ASCII);
        int length = 2 + tag.length + 2 + profile.length;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(jpeg, 0, 2);
        out.write(0xFF);
        out.write(0xE2);
        out.write(length >> 8);
        out.write(length & 0xFF);
        out.write(tag, 0, tag.length);
        out.write(1);
        out.write(1);
        out.write(profile, 0, profile.length);
        out.write(jpeg, 2, jpeg.length - 2);
        return out.toByteArray();
    }

    /** Drops the APP0 (JFIF) segment that follows SOI. */
    private static byte[] withoutApp0(byte[] jpeg) {
        if ((jpeg[2] & 0xFF) != 0xFF || (jpeg[3] & 0xFF) != 0xE0) {
            throw new IllegalArgumentException("no APP0 after SOI");
        }
        int length = (jpeg[4] & 0xFF) << 8 | (jpeg[5] & 0xFF);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(jpeg, 0, 2);
        out.write(jpeg, 4 + length, jpeg.length - 4 - length);
        return out.toByteArray();
    }

    private static int indexOfStartOfScan(byte[] jpeg) {
        for (int i = 2; i + 1 < jpeg.length; i++) {
            if ((jpeg[i] & 0xFF) == 0xFF && (jpeg[i + 1] & 0xFF) == 0xDA) {
                return i;
            }
        }
        throw new IllegalArgumentException("no SOS");
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
