import java.awt.image.BufferedImage;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
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
 * Decode + preprocess of two builds in one JVM, image by image, the order of the two alternating each round, so that
 * a busy machine disturbs both alike (separate JVMs one after the other, as stages.sh runs them, differed by up to
 * 2 x on a shared 2-core VM). Each build as its ImageEncoder prepares an image: a build that has
 * ImageDecoder.decodeRows (bb5f0ee and before) streams sequential YCbCr JPEGs into ClipPreprocessor.rowPass; others
 * decode into a reused pixel array and preprocess. alone: no helper (as under load; CPU per image is the figure to
 * read); lone: a second thread as helper, as a lone request gets (wall time).
 *
 *   java --add-modules=jdk.incubator.vector -cp LIBS bench/encode/StagesAb.java BASE_CLASSES NEW_CLASSES WARMUP ROUNDS alone|lone IMAGE...
 *
 * bench/encode/stages-ab.sh runs it against a base commit.
 */
public final class StagesAb {
    static final class Build {
        final Object decoder, pre;
        final Method decode, preprocess, rowPass, decodeRows, finish;
        final Executor sequential;
        int[] reused = new int[0];
        final IntFunction<int[]> pixels = n -> reused.length >= n ? reused : (reused = new int[n]);
        Build(String classes) throws Exception {
            ClassLoader l = new URLClassLoader(new URL[] {Path.of(classes).toUri().toURL()}, StagesAb.class.getClassLoader());
            Class<?> d = l.loadClass("io.multimodalrag.image.ImageDecoder");
            Class<?> p = l.loadClass("io.multimodalrag.clip.ClipPreprocessor");
            decoder = d.getConstructor(long.class).newInstance(50_000_000L);
            pre = p.getConstructor(int.class).newInstance(224);
            decode = d.getMethod("decode", byte[].class, IntFunction.class);
            preprocess = p.getMethod("preprocess", BufferedImage.class, FloatBuffer.class, Executor.class);
            Class<?> split;
            try { split = l.loadClass("io.multimodalrag.clip.RangeSplit"); } catch (ClassNotFoundException e) { split = l.loadClass("io.multimodalrag.image.RangeSplit"); }
            sequential = (Executor) split.getField("SEQUENTIAL").get(null);
            Method rp = null, dr = null, fi = null;
            try {
                rp = p.getMethod("rowPass", FloatBuffer.class);
                dr = d.getMethod("decodeRows", byte[].class, l.loadClass("io.multimodalrag.image.RowReceiver"), Executor.class);
                fi = rp.getReturnType().getMethod("finish");
            } catch (ReflectiveOperationException e) { rp = null; }
            rowPass = rp; decodeRows = dr; finish = fi;
        }
        void run(byte[] bytes, FloatBuffer tensor, Executor helper) throws Exception {
            if (rowPass != null) {
                Object rows = rowPass.invoke(pre, tensor.clear());
                if ((boolean) decodeRows.invoke(decoder, bytes, rows, helper)) { finish.invoke(rows); return; }
            }
            BufferedImage image = (BufferedImage) decode.invoke(decoder, bytes, pixels);
            preprocess.invoke(pre, image, tensor.clear(), helper);
        }
    }

    public static void main(String[] a) throws Exception {
        Build[] builds = {new Build(a[0]), new Build(a[1])};
        int warm = Integer.parseInt(a[2]), rounds = Integer.parseInt(a[3]);
        boolean lone = a[4].equals("lone");
        List<byte[]> images = new ArrayList<>();
        for (int i = 5; i < a.length; i++) images.add(Files.readAllBytes(Path.of(a[i])));
        ExecutorService pool = Executors.newSingleThreadExecutor();
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        FloatBuffer tensor = FloatBuffer.allocate(3 * 224 * 224);
        long[] wall = new long[2], cpu = new long[2];
        for (int round = 0; round < warm + rounds; round++) {
            for (byte[] img : images) {
                for (int k = 0; k < 2; k++) {
                    int b = (round + k) % 2;
                    Executor helper = lone ? pool : builds[b].sequential;
                    long c0 = mx.getCurrentThreadCpuTime(), t0 = System.nanoTime();
                    builds[b].run(img, tensor, helper);
                    long t1 = System.nanoTime(), c1 = mx.getCurrentThreadCpuTime();
                    if (round >= warm) { wall[b] += t1 - t0; cpu[b] += c1 - c0; }
                }
            }
        }
        pool.shutdown();
        double n = 1e6 * rounds * images.size();
        System.out.printf(Locale.ROOT, "%s: base wall %.3f cpu %.3f | new wall %.3f cpu %.3f | new/base wall %.3f cpu %.3f%n",
                a[4], wall[0] / n, cpu[0] / n, wall[1] / n, cpu[1] / n, (double) wall[1] / wall[0], (double) cpu[1] / cpu[0]);
    }
}
