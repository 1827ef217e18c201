import io.multimodalrag.clip.ClipModel;
import io.multimodalrag.clip.ClipPreprocessor;
import io.multimodalrag.image.ImageDecoder;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Agreement of the int8 vision tower with the float32 one, and where the time of one image goes.
 *
 *   java -cp "target/classes:target/quarkus-app/lib/main/*:target/quarkus-app/lib/boot/*" bench/encode/Int8Agreement.java MODEL_DIR THREADS
 *
 * The benchmark set: every demo image of image_database/ and six variants of it (mirrored, four
 * corner crops of 80 %, a centre crop of 60 %), 7 × 29 = 203 images. Prints the cosine between
 * each image's fp32 and int8 embeddings (min, mean), the overlap of the top-10 neighbours of each
 * image among the other 202 when everything is embedded with fp32 versus int8, the mean cosine
 * between different images (how crowded the space is), and per demo image the mean time of
 * decoding, preprocessing and one batch-1 run of each tower.
 */
public final class Int8Agreement {

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int threads = Integer.parseInt(args[1]);
        List<Path> files;
        try (Stream<Path> list = Files.list(Path.of("image_database"))) {
            files = list.filter(p -> p.toString().matches(".*\\.(jpg|png|webp)")).sorted().toList();
        }
        ImageDecoder decoder = new ImageDecoder(50_000_000);
        try (ClipModel fp32 = ClipModel.open(ClipModel.ModelFiles.find(dir, "fp32").orElseThrow(), ClipModel.Device.CPU, threads);
                ClipModel int8 = ClipModel.open(ClipModel.ModelFiles.find(dir, "int8").orElseThrow(), ClipModel.Device.CPU, threads)) {
            ClipPreprocessor pre = new ClipPreprocessor(fp32.imageSize());
            int floats = 3 * fp32.imageSize() * fp32.imageSize();
            FloatBuffer one = ByteBuffer.allocateDirect(floats * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();

            // Timing split, after one warm-up pass over the demo images.
            long decode = 0, preprocess = 0, runFp32 = 0, runInt8 = 0;
            List<BufferedImage> decoded = new ArrayList<>();
            int pixels = 0;
            for (int pass = 0; pass < 2; pass++) {
                decode = preprocess = runFp32 = runInt8 = 0;
                decoded.clear();
                for (Path file : files) {
                    byte[] bytes = Files.readAllBytes(file);
                    long t0 = System.nanoTime();
                    BufferedImage image = decoder.decode(bytes);
                    long t1 = System.nanoTime();
                    pre.preprocess(image, one.clear());
                    long t2 = System.nanoTime();
                    fp32.vision().embed(one.flip(), 1);
                    long t3 = System.nanoTime();
                    int8.vision().embed(one, 1);
                    long t4 = System.nanoTime();
                    decode += t1 - t0;
                    preprocess += t2 - t1;
                    runFp32 += t3 - t2;
                    runInt8 += t4 - t3;
                    decoded.add(image);
                    pixels += pass == 1 ? image.getWidth() * image.getHeight() : 0;
                }
            }
            int n = files.size();
            System.out.printf(Locale.ROOT, "per image (%d demo images, mean %.2f megapixels, %d intra-op threads): decode %.1f ms, "
                    + "preprocess %.1f ms, fp32 run %.1f ms, int8 run %.1f ms%n", n, pixels / 1e6 / n, threads,
                    decode / 1e6 / n, preprocess / 1e6 / n, runFp32 / 1e6 / n, runInt8 / 1e6 / n);

            List<BufferedImage> set = new ArrayList<>();
            for (BufferedImage image : decoded) {
                set.addAll(variants(image));
            }
            float[][] a = embedAll(fp32, pre, set, floats);
            float[][] b = embedAll(int8, pre, set, floats);
            double min = 1, sum = 0;
            for (int i = 0; i < set.size(); i++) {
                double c = dot(a[i], b[i]);
                min = Math.min(min, c);
                sum += c;
            }
            double overlapSum = 0, crowd = 0;
            int overlapMin = 10, exact = 0;
            for (int i = 0; i < set.size(); i++) {
                int[] topA = top10(a, i);
                int[] topB = top10(b, i);
                int common = (int) Arrays.stream(topA).filter(x -> Arrays.stream(topB).anyMatch(y -> y == x)).count();
                overlapSum += common;
                overlapMin = Math.min(overlapMin, common);
                exact += Arrays.equals(topA, topB) ? 1 : 0;
                for (int j = 0; j < set.size(); j++) {
                    crowd += j == i ? 0 : dot(a[i], a[j]);
                }
            }
            int m = set.size();
            System.out.printf(Locale.ROOT, "%d images: cosine(fp32, int8) min %.5f, mean %.5f; top-10 overlap mean %.2f/10, "
                    + "min %d/10, identical ordered top-10 %d/%d; mean fp32 cosine between different images %.4f%n",
                    m, min, sum / m, overlapSum / m, overlapMin, exact, m, crowd / m / (m - 1));
        }
    }

    /** The image, mirrored, four corner crops of 80 % and a centre crop of 60 %. */
    private static List<BufferedImage> variants(BufferedImage image) {
        int w = image.getWidth(), h = image.getHeight();
        int cw = w * 4 / 5, ch = h * 4 / 5;
        List<BufferedImage> out = new ArrayList<>();
        out.add(image);
        BufferedImage mirrored = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = mirrored.createGraphics();
        g.drawImage(image, w, 0, -w, h, null);
        g.dispose();
        out.add(mirrored);
        out.add(copy(image.getSubimage(0, 0, cw, ch)));
        out.add(copy(image.getSubimage(w - cw, 0, cw, ch)));
        out.add(copy(image.getSubimage(0, h - ch, cw, ch)));
        out.add(copy(image.getSubimage(w - cw, h - ch, cw, ch)));
        out.add(copy(image.getSubimage(w / 5, h / 5, w * 3 / 5, h * 3 / 5)));
        return out;
    }

    private static BufferedImage copy(BufferedImage sub) {
        BufferedImage out = new BufferedImage(sub.getWidth(), sub.getHeight(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.drawImage(sub, 0, 0, null);
        g.dispose();
        return out;
    }

    private static float[][] embedAll(ClipModel model, ClipPreprocessor pre, List<BufferedImage> images, int floats) {
        int batch = 8;
        FloatBuffer buffer = ByteBuffer.allocateDirect(batch * floats * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
        float[][] out = new float[images.size()][];
        for (int from = 0; from < images.size(); from += batch) {
            int count = Math.min(batch, images.size() - from);
            buffer.clear();
            for (int i = 0; i < count; i++) {
                pre.preprocess(images.get(from + i), buffer);
            }
            float[][] rows = model.vision().embed(buffer.flip(), count);
            System.arraycopy(rows, 0, out, from, count);
        }
        return out;
    }

    private static int[] top10(float[][] vectors, int query) {
        Integer[] order = new Integer[vectors.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (x, y) -> Double.compare(dot(vectors[query], vectors[y]), dot(vectors[query], vectors[x])));
        return Arrays.stream(order).filter(i -> i != query).limit(10).mapToInt(Integer::intValue).toArray();
    }

    private static double dot(float[] x, float[] y) {
        double s = 0;
        for (int i = 0; i < x.length; i++) {
            s += (double) x[i] * y[i];
        }
        return s;
    }
}
