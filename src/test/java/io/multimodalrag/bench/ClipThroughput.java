package io.multimodalrag.bench;

import io.multimodalrag.clip.ClipModel;
import io.multimodalrag.clip.CudaFallback;
import io.multimodalrag.clip.HostGpu;
import io.multimodalrag.clip.ModelUnavailableException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Images per second of {@link VisionTower#embed} at several batch sizes, on CUDA and on the
 * CPU of the same machine, over preprocessed random inputs (decoding and preprocessing are left
 * out: this measures ONNX Runtime and the model). Run by bench/gpu.sh; a benchmark program, not a
 * test.
 *
 * <p>Arguments: the model folder, then the batch sizes (default {@code 1,32,256}). System
 * properties: {@code bench.seconds} (least time measured per point, default 10),
 * {@code bench.devices} ({@code cuda,cpu} by default).
 */
public final class ClipThroughput {

    private ClipThroughput() {
    }

    /** One measured point. */
    record Point(ClipModel.Device device, int batch, int runs, double seconds) {
        double imagesPerSecond() {
            return batch * runs / seconds;
        }
    }

    public static void main(String[] args) {
        if (args.length < 1) {
            System.err.println("usage: ClipThroughput MODEL_DIR [BATCHES, e.g. 1,32,256]");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        int[] batches = java.util.Arrays.stream((args.length > 1 ? args[1] : "1,32,256").split(","))
                .map(String::strip).mapToInt(Integer::parseInt).toArray();
        double minimumSeconds = Double.parseDouble(System.getProperty("bench.seconds", "10"));
        List<ClipModel.Device> devices = new ArrayList<>();
        for (String device : System.getProperty("bench.devices", "cuda,cpu").split(",")) {
            devices.add(ClipModel.Device.valueOf(device.strip().toUpperCase(Locale.ROOT)));
        }
        ClipModel.ModelFiles files = ClipModel.ModelFiles.find(dir, "fp32").orElseThrow(() -> new IllegalArgumentException(
                "no vision_model.onnx in " + dir + "; generate one: tools/make_clip_model.py --preset vit-b32 --out " + dir));
        int threads = Runtime.getRuntime().availableProcessors();
        System.out.printf("model %s, %d CPU threads for ONNX Runtime, at least %.0f s per point%n", files.vision(), threads,
                minimumSeconds);

        Map<ClipModel.Device, List<Point>> results = new LinkedHashMap<>();
        for (ClipModel.Device device : devices) {
            ClipModel model;
            try {
                if (device == ClipModel.Device.CUDA && !ClipModel.cudaProviderAvailable()) {
                    throw new ModelUnavailableException(CudaFallback.noGpuBuild().explanation());
                }
                model = ClipModel.open(files, device, threads);
            } catch (ModelUnavailableException e) {
                CudaFallback why = ClipModel.cudaProviderAvailable()
                        ? CudaFallback.classify(e.getMessage(), HostGpu.probe()) : CudaFallback.noGpuBuild();
                System.out.printf("%s: not measured, %s: %s%n", device, why.label(), why.explanation());
                continue;
            }
            try (model) {
                List<Point> points = new ArrayList<>();
                for (int batch : batches) {
                    Point point = measure(model, batch, minimumSeconds);
                    points.add(point);
                    System.out.printf("%-4s batch %4d: %8.1f images/s (%d runs in %.1f s)%n", device, batch,
                            point.imagesPerSecond(), point.runs(), point.seconds());
                }
                results.put(device, points);
            }
        }
        List<Point> cuda = results.get(ClipModel.Device.CUDA);
        List<Point> cpu = results.get(ClipModel.Device.CPU);
        if (cuda != null && cpu != null) {
            for (int i = 0; i < batches.length; i++) {
                System.out.printf("batch %4d: CUDA %.1f images/s, CPU %.1f images/s, CUDA/CPU %.1fx%n", batches[i],
                        cuda.get(i).imagesPerSecond(), cpu.get(i).imagesPerSecond(),
                        cuda.get(i).imagesPerSecond() / cpu.get(i).imagesPerSecond());
            }
        }
    }

    /** Two warm-up runs (ONNX Runtime plans memory and, on CUDA, picks kernels), then runs for at least {@code seconds}. */
    private static Point measure(ClipModel model, int batch, double seconds) {
        FloatBuffer pixels = randomPixels(batch, model.imageSize());
        for (int i = 0; i < 2; i++) {
            model.vision().embed(pixels.duplicate(), batch);
        }
        int runs = 0;
        long started = System.nanoTime();
        double elapsed;
        do {
            model.vision().embed(pixels.duplicate(), batch);
            runs++;
            elapsed = (System.nanoTime() - started) / 1e9;
        } while (elapsed < seconds || runs < 3);
        return new Point(model.device(), batch, runs, elapsed);
    }

    /** Normalised pixels look like a standard normal distribution; a fixed seed keeps runs comparable. */
    private static FloatBuffer randomPixels(int batch, int size) {
        int count = batch * 3 * size * size; // [batch, 3, S, S]
        FloatBuffer pixels = ByteBuffer.allocateDirect(count * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
        Random random = new Random(20240607L);
        for (int i = 0; i < count; i++) {
            pixels.put((float) random.nextGaussian());
        }
        return pixels.flip();
    }
}
