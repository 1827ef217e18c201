import io.multimodalrag.clip.ImageEncoder;
import io.multimodalrag.files.ContentHash;
import io.multimodalrag.search.EmbeddingCache;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;

/**
 * A knowledge base of COUNT distinct generated 64 × 64 JPEGs (up to 16,777,216) (KB_DIR/images, KB_DIR/description.jsonl)
 * and a warm embedding cache for it (CACHE_DIR) under the fingerprint the service computes for
 * VISION_FILE, so that the service starts without embedding anything.
 *
 *   java -cp "target/classes:target/quarkus-app/lib/main/*:target/quarkus-app/lib/boot/*" bench/startup/SeedKnowledgeBase.java KB_DIR CACHE_DIR VISION_FILE COUNT
 *
 * The cached vectors are random unit vectors of 512 dimensions, written through the service's own
 * EmbeddingCache: start-up reads, checks and copies them exactly as it would real embeddings (their
 * values do not change the work), and a cold pass of 10,000 images through the full-size tower
 * would take 10 to 25 minutes on 2 cores. The service's log says how many images it embedded at
 * start-up; the benchmark checks that it is 0.
 */
public final class SeedKnowledgeBase {

    public static void main(String[] args) throws Exception {
        Path kb = Path.of(args[0]);
        Path cacheDir = Path.of(args[1]);
        Path visionFile = Path.of(args[2]);
        int count = Integer.parseInt(args[3]);
        int dimensions = 512;
        Files.createDirectories(kb.resolve("images"));
        // As ImageEncoder.embeddingFingerprint: the vision tower's content hash and the pipeline version.
        String fingerprint = ContentHash.contentHash((ContentHash.contentHash(visionFile) + "/pipeline-"
                + ImageEncoder.PIPELINE_VERSION).getBytes(StandardCharsets.UTF_8));
        EmbeddingCache cache = EmbeddingCache.open(cacheDir, fingerprint, dimensions);
        Random random = new Random(6);
        List<String> lines = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            BufferedImage image = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < 64; y++) {
                for (int x = 0; x < 64; x++) {
                    // The same images as before for the first 65,536; past them the blue term tells them apart.
                    image.setRGB(x, y, ((x * 4 + i) & 0xff) << 16 | ((y * 4 + i / 256) & 0xff) << 8
                            | ((x + y + i * 7 + (i >> 16) * 31) & 0xff));
                }
            }
            ByteArrayOutputStream jpeg = new ByteArrayOutputStream();
            ImageIO.write(image, "jpg", jpeg);
            byte[] bytes = jpeg.toByteArray();
            String name = String.format("images/gen-%05d.jpg", i);
            Files.write(kb.resolve(name), bytes);
            lines.add("{\"image_path\": \"" + name + "\", \"description\": \"generated test image number " + i
                    + ", a colour gradient shifted by its number\"}");
            float[] vector = new float[dimensions];
            double norm = 0;
            for (int d = 0; d < dimensions; d++) {
                vector[d] = (float) random.nextGaussian();
                norm += vector[d] * vector[d];
            }
            for (int d = 0; d < dimensions; d++) {
                vector[d] /= (float) Math.sqrt(norm);
            }
            cache.put(ContentHash.contentHash(bytes), vector);
        }
        Files.write(kb.resolve("description.jsonl"), lines, StandardCharsets.UTF_8);
        cache.save();
        System.out.println("seeded " + count + " images and " + cache.size() + " cached embeddings for " + visionFile);
    }
}
