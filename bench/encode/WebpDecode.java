import io.multimodalrag.image.ImageDecoder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Time to decode WebP files with the service's ImageDecoder, whatever decodes WebP in the tree on the class path:
 * WARMUP unmeasured decodes, then ROUNDS measured ones per file; prints the median and the minimum per file.
 *
 *   java -cp "target/classes:LIBS" bench/encode/WebpDecode.java WARMUP ROUNDS FILE...
 */
public final class WebpDecode {
    public static void main(String[] args) throws Exception {
        int warmup = Integer.parseInt(args[0]);
        int rounds = Integer.parseInt(args[1]);
        ImageDecoder decoder = new ImageDecoder(50_000_000);
        for (int f = 2; f < args.length; f++) {
            byte[] bytes = Files.readAllBytes(Path.of(args[f]));
            for (int i = 0; i < warmup; i++) {
                decoder.decode(bytes);
            }
            double[] ms = new double[rounds];
            for (int i = 0; i < rounds; i++) {
                long t = System.nanoTime();
                decoder.decode(bytes);
                ms[i] = (System.nanoTime() - t) / 1e6;
            }
            Arrays.sort(ms);
            System.out.printf("%s: median %.2f ms, min %.2f ms%n", Path.of(args[f]).getFileName(), ms[rounds / 2], ms[0]);
        }
    }
}
