package io.multimodalrag.clip;

import io.multimodalrag.image.ImageDecoder;
import io.multimodalrag.image.RangeSplit;
import io.multimodalrag.image.RowReceiver;
import io.multimodalrag.testing.TestResources;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The streamed preprocessing ({@link ClipPreprocessor#rowPass()} fed by {@link ImageDecoder#decodeRows}) gives the
 * tensor of decode() then preprocess(), bit for bit, whoever takes the rows: the demo photos, the test photos, and
 * sizes that skip one resize pass or upscale.
 */
class RowPassTest {

    private static final ExecutorService POOL = Executors.newFixedThreadPool(2);
    private final ImageDecoder decoder = new ImageDecoder(50_000_000);
    private final ClipPreprocessor vector = new ClipPreprocessor(224);
    private final ClipPreprocessor scalar = new ClipPreprocessor(224, ResampleKernel.choose(false));

    @AfterAll
    static void stopPool() {
        POOL.shutdownNow();
    }

    static Stream<String> jpegs() throws IOException {
        List<String> names = new ArrayList<>();
        try (Stream<Path> files = Files.list(Path.of("image_database"))) {
            files.map(Path::toString).filter(name -> name.endsWith(".jpg")).sorted().forEach(names::add);
        }
        for (String test : new String[] {"astronaut.jpg", "coffee.jpg", "hubble_panorama.jpg", "rocket.jpg"}) {
            names.add("test:images/" + test);
        }
        for (String size : new String[] {"224x224", "224x300", "300x224", "100x80", "1x1", "17x500", "500x17"}) {
            names.add("made:" + size);
        }
        return names.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("jpegs")
    void givesTheTensorOfDecodeThenPreprocess(String source) {
        byte[] bytes = bytes(source);
        for (ClipPreprocessor pre : new ClipPreprocessor[] {vector, scalar}) {
            float[] expected = pre.preprocess(decoder.decode(bytes));
            for (Executor helper : new Executor[] {POOL, RangeSplit.SEQUENTIAL, command -> { }}) {
                // At an offset in a batch buffer, as the encoder writes it, with guard values around it.
                FloatBuffer batch = FloatBuffer.allocate(expected.length + 20);
                for (int i = 0; i < batch.capacity(); i++) {
                    batch.put(i, -7f);
                }
                batch.position(10);
                ClipPreprocessor.RowPass rows = pre.rowPass(batch);
                assertTrue(decoder.decodeRows(bytes, rows, helper), source + " is a sequential YCbCr JPEG");
                rows.finish();
                assertEquals(10 + expected.length, batch.position(), "the position moves past the tensor");
                float[] actual = new float[expected.length];
                batch.get(10, actual);
                assertArrayEquals(expected, actual, source);
                assertEquals(-7f, batch.get(9));
                assertEquals(-7f, batch.get(10 + expected.length));
            }
        }
    }

    @Test
    void oneImagePerRowPass() {
        assertThrows(IllegalArgumentException.class, () -> vector.rowPass(FloatBuffer.allocate(10)));
        ClipPreprocessor.RowPass rows = vector.rowPass(FloatBuffer.allocate(3 * 224 * 224));
        assertThrows(IllegalStateException.class, rows::finish, "nothing decoded yet");
        rows.begin(640, 480);
        assertThrows(IllegalStateException.class, () -> rows.begin(640, 480));
        assertThrows(IllegalStateException.class, rows::finish, "rows missing");
    }

    /** The region asked for is what the centre crop of the resize reads: a landscape photo's middle columns. */
    @Test
    void asksOnlyForWhatTheCropReads() {
        RowReceiver.Region region = vector.rowPass(FloatBuffer.allocate(3 * 224 * 224)).begin(1024, 512);
        assertEquals(0, region.firstRow());
        assertEquals(512, region.endRow());
        assertTrue(region.firstColumn() > 200 && region.endColumn() < 824, region.toString());
    }

    private static byte[] bytes(String source) {
        if (source.startsWith("test:")) {
            return TestResources.bytes(source.substring(5));
        }
        if (source.startsWith("made:")) {
            String[] size = source.substring(5).split("x");
            return madeJpeg(Integer.parseInt(size[0]), Integer.parseInt(size[1]));
        }
        try {
            return Files.readAllBytes(Path.of(source));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] madeJpeg(int width, int height) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        Random random = new Random(width * 31L + height);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, random.nextInt(1 << 24));
            }
        }
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
            writer.setOutput(stream);
            writer.write(new IIOImage(image, null, null));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }
}
