import io.multimodalrag.clip.ClipPreprocessor;
import io.multimodalrag.image.ImageDecoder;
import java.awt.image.BufferedImage;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * CPU time of the two stages before the vision tower, one image after another on one thread: ImageDecoder.decode
 * and ClipPreprocessor.preprocess (224 × 224), over the given images, after WARMUP unmeasured rounds (so that the
 * JIT has compiled both), then ROUNDS measured ones. Only public API, so it runs against any build of the service.
 *
 *   java -cp CLASSES:LIBS [--add-modules=jdk.incubator.vector] bench/encode/PipelineStages.java WARMUP ROUNDS IMAGE...
 *
 * Prints one JSON line: mean milliseconds per image for each stage, for JPEGs and for all images.
 */
public final class PipelineStages {

    public static void main(String[] args) throws Exception {
        int warmup = Integer.parseInt(args[0]);
        int rounds = Integer.parseInt(args[1]);
        List<byte[]> images = new ArrayList<>();
        List<Boolean> jpeg = new ArrayList<>();
        for (int i = 2; i < args.length; i++) {
            images.add(Files.readAllBytes(Path.of(args[i])));
            jpeg.add(args[i].endsWith(".jpg") || args[i].endsWith(".jpeg"));
        }
        ImageDecoder decoder = new ImageDecoder(50_000_000);
        ClipPreprocessor preprocessor = new ClipPreprocessor(224);
        FloatBuffer tensor = FloatBuffer.allocate(3 * 224 * 224);
        long[] decode = new long[2];
        long[] preprocess = new long[2];
        int[] count = new int[2];
        for (int round = 0; round < warmup + rounds; round++) {
            for (int i = 0; i < images.size(); i++) {
                long t0 = System.nanoTime();
                BufferedImage image = decoder.decode(images.get(i));
                long t1 = System.nanoTime();
                preprocessor.preprocess(image, tensor.clear());
                long t2 = System.nanoTime();
                if (round >= warmup) {
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
        System.out.printf(Locale.ROOT, "{\"images\":%d,\"decodeMs\":%.3f,\"preprocessMs\":%.3f,"
                        + "\"jpegDecodeMs\":%.3f,\"jpegPreprocessMs\":%.3f}%n", images.size(),
                decode[0] / 1e6 / count[0], preprocess[0] / 1e6 / count[0],
                decode[1] / 1e6 / Math.max(1, count[1]), preprocess[1] / 1e6 / Math.max(1, count[1]));
    }
}
