import io.multimodalrag.clip.ClipPreprocessor;
import io.multimodalrag.image.ImageDecoder;
import java.awt.image.BufferedImage;
import java.lang.reflect.Method;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.IntFunction;

/**
 * Time of the two stages before the vision tower, as ImageEncoder spends it, one image after another, over the given
 * images, after WARMUP unmeasured rounds (so that the JIT has compiled both), then ROUNDS measured ones:
 * <ul>
 *   <li>{@code alone} (default): on one thread, as under load;</li>
 *   <li>{@code lone}: with a second thread as helper, as a lone request on an idle service gets it (wall time).</li>
 * </ul>
 * Images go through ImageDecoder.decode (into a reused pixel array, as the encoder's workers decode) and
 * ClipPreprocessor.preprocess (224 × 224), the helper taking half of the resize in {@code lone}. A build from before
 * 17 (bb5f0ee and earlier) that has ImageDecoder.decodeRows streams sequential YCbCr JPEGs into
 * ClipPreprocessor.rowPass instead, as its ImageEncoder did (decode then counts the resize that overlaps it,
 * preprocess what is left); found by reflection, so that the same source runs against any build of the service.
 *
 *   java -cp CLASSES:LIBS [--add-modules=jdk.incubator.vector] bench/encode/PipelineStages.java WARMUP ROUNDS [alone|lone] IMAGE...
 *
 * Prints one JSON line: mean milliseconds per image for each stage, for JPEGs and for all images, and how many
 * images were streamed.
 */
public final class PipelineStages {

    public static void main(String[] args) throws Exception {
        int warmup = Integer.parseInt(args[0]);
        int rounds = Integer.parseInt(args[1]);
        int first = 2;
        boolean lone = false;
        if (args[2].equals("alone") || args[2].equals("lone")) {
            lone = args[2].equals("lone");
            first = 3;
        }
        List<byte[]> images = new ArrayList<>();
        List<Boolean> jpeg = new ArrayList<>();
        for (int i = first; i < args.length; i++) {
            images.add(Files.readAllBytes(Path.of(args[i])));
            jpeg.add(args[i].endsWith(".jpg") || args[i].endsWith(".jpeg"));
        }
        ImageDecoder decoder = new ImageDecoder(50_000_000);
        ClipPreprocessor preprocessor = new ClipPreprocessor(224);
        FloatBuffer tensor = FloatBuffer.allocate(3 * 224 * 224);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        Streaming streaming = Streaming.find();
        // As ImageEncoder: the pool for a lone image, else RangeSplit.SEQUENTIAL (no helper at all).
        Executor helper = lone ? pool : sequential();
        int[][] reused = {new int[0]};
        IntFunction<int[]> pixels = length -> reused[0].length >= length ? reused[0] : (reused[0] = new int[length]);
        long[] decode = new long[2];
        long[] preprocess = new long[2];
        int[] count = new int[2];
        int streamed = 0;
        for (int round = 0; round < warmup + rounds; round++) {
            for (int i = 0; i < images.size(); i++) {
                long t0 = System.nanoTime();
                Object rows = streaming == null ? null : streaming.rowPass.invoke(preprocessor, tensor.clear());
                boolean stream = rows != null && (boolean) streaming.decodeRows.invoke(decoder, images.get(i), rows, helper);
                long t1;
                if (stream) {
                    t1 = System.nanoTime();
                    streaming.finish.invoke(rows);
                } else {
                    BufferedImage image = decoder.decode(images.get(i), pixels);
                    t1 = System.nanoTime();
                    preprocessor.preprocess(image, tensor.clear(), helper);
                }
                long t2 = System.nanoTime();
                if (round >= warmup) {
                    streamed += stream && round == warmup ? 1 : 0;
                    for (int group = 0; group < 2; group++) {
                        if (group == 0 || jpeg.get(i)) {
                            decode[group] += t1 - t0;
                            preprocess[group] += t2 - t1;
                            count[group]++;
                        }
                    }
                }
            }
        }
        pool.shutdown();
        System.out.printf(Locale.ROOT, "{\"images\":%d,\"streamed\":%d,\"decodeMs\":%.3f,\"preprocessMs\":%.3f,"
                        + "\"jpegDecodeMs\":%.3f,\"jpegPreprocessMs\":%.3f}%n", images.size(), streamed,
                decode[0] / 1e6 / count[0], preprocess[0] / 1e6 / count[0],
                decode[1] / 1e6 / Math.max(1, count[1]), preprocess[1] / 1e6 / Math.max(1, count[1]));
    }

    /** RangeSplit.SEQUENTIAL, in the package the build has it in (the resize treats it as "no helper"). */
    private static Executor sequential() throws ReflectiveOperationException {
        for (String name : new String[] {"io.multimodalrag.clip.RangeSplit", "io.multimodalrag.image.RangeSplit"}) {
            try {
                return (Executor) Class.forName(name).getField("SEQUENTIAL").get(null);
            } catch (ClassNotFoundException e) {
                // the other package
            }
        }
        return Runnable::run;
    }

    /** ClipPreprocessor.rowPass, ImageDecoder.decodeRows and RowPass.finish, where the build has them (before 17). */
    private record Streaming(Method rowPass, Method decodeRows, Method finish) {
        static Streaming find() {
            try {
                Method rowPass = ClipPreprocessor.class.getMethod("rowPass", FloatBuffer.class);
                Class<?> receiver = Class.forName("io.multimodalrag.image.RowReceiver");
                Method decodeRows = ImageDecoder.class.getMethod("decodeRows", byte[].class, receiver, Executor.class);
                return new Streaming(rowPass, decodeRows, rowPass.getReturnType().getMethod("finish"));
            } catch (ReflectiveOperationException e) {
                return null;
            }
        }
    }
}
