package io.multimodalrag.search;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.multimodalrag.clip.ClipModel;
import io.multimodalrag.clip.ImageEncoder;
import io.multimodalrag.clip.ModelLoader;
import io.multimodalrag.config.RagConfig;
import io.multimodalrag.image.ImageDecoder;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * The knowledge base: the entries of description.jsonl and one contiguous matrix of their
 * embeddings, searched by exact inner product. Loaded at start-up; embeddings come from the
 * on-disk cache when the model and the image are unchanged, otherwise from the encoder in batches.
 * Readers see an immutable {@link Snapshot}; a bad line or image is skipped with a warning, never
 * fatal.
 */
@ApplicationScoped
public class KnowledgeBase {

    private static final Logger LOG = Logger.getLogger(KnowledgeBase.class);

    /** Where loading stands. */
    public enum Status {
        LOADING, READY, FAILED
    }

    /** Entries and their embeddings, row i of the matrix belonging to entry i. Never mutated. */
    public record Snapshot(List<KnowledgeBaseEntry> entries, Map<String, Integer> rowById, EmbeddingMatrix matrix) {
        static Snapshot empty() {
            return new Snapshot(List.of(), Map.of(), EmbeddingMatrix.empty(1));
        }
    }

    /**
     * Loading status: lines skipped with a warning, images embedded by the last load (the rest came
     * from the cache), and a reason while not ready.
     */
    public record State(Status status, int skipped, int embedded, String reason) {
    }

    private final ModelLoader models;
    private final ImageEncoder encoder;
    private final ObjectMapper json;
    private final RagConfig.KnowledgeBase config;
    private final int maxBatch;
    private volatile Snapshot snapshot = Snapshot.empty();
    private volatile State state = new State(Status.LOADING, 0, 0, "the knowledge base is loading");

    public KnowledgeBase(ModelLoader models, ImageEncoder encoder, ObjectMapper json, RagConfig config) {
        this.models = models;
        this.encoder = encoder;
        this.json = json;
        this.config = config.knowledgeBase();
        this.maxBatch = Math.max(1, config.encoder().maxBatch());
    }

    public Snapshot snapshot() {
        return snapshot;
    }

    public State state() {
        return state;
    }

    /** The {@code k} entries most similar to {@code query} (a unit vector), best first. */
    public List<SearchHit> search(float[] query, int k, float minScore) {
        Snapshot current = snapshot;
        if (current.entries().isEmpty()) {
            return List.of();
        }
        return current.matrix().topK(query, k, minScore).stream()
                .map(row -> new SearchHit(current.entries().get(row.row()), row.score()))
                .toList();
    }

    public Optional<KnowledgeBaseEntry> find(String id) {
        Snapshot current = snapshot;
        Integer row = current.rowById().get(id);
        return row == null ? Optional.empty() : Optional.of(current.entries().get(row));
    }

    /**
     * Loads description.jsonl and embeds what the cache does not hold. Called once at start-up,
     * after the model, off the event loop. Never throws.
     */
    public void load() {
        if (models.state().model().isEmpty()) {
            state = new State(Status.FAILED, 0, 0, "no CLIP model to embed the images with (see the clip-model check)");
            return;
        }
        try {
            ClipModel model = models.require();
            Path descriptions = config.descriptions();
            List<Candidate> candidates = readDescriptions(descriptions);
            int skipped = candidates.size() - (int) candidates.stream().filter(c -> c.problem == null).count();
            List<Candidate> usable = candidates.stream().filter(c -> c.problem == null).toList();

            // The vision tower's content hash: embeddings of other weights are never reused.
            String fingerprint = hash(model.visionFile());
            EmbeddingCache cache = config.cacheEnabled()
                    ? EmbeddingCache.open(config.cacheDir(), fingerprint, model.dimensions())
                    : EmbeddingCache.disabled(model.dimensions());
            int embedded = embedMissing(usable, cache);

            List<KnowledgeBaseEntry> entries = new ArrayList<>();
            float[] matrix = new float[usable.size() * model.dimensions()];
            for (Candidate c : usable) {
                Optional<float[]> embedding = cache.get(c.contentHash);
                if (embedding.isEmpty()) {
                    continue; // could not be embedded; already warned about and counted
                }
                System.arraycopy(embedding.get(), 0, matrix, entries.size() * model.dimensions(), model.dimensions());
                entries.add(new KnowledgeBaseEntry(c.id, c.imagePath, c.description, c.contentHash, c.mediaType, c.file));
            }
            float[] rows = entries.size() == usable.size() ? matrix
                    : java.util.Arrays.copyOf(matrix, entries.size() * model.dimensions());
            cache.retainOnly(entries.stream().map(KnowledgeBaseEntry::contentHash).collect(Collectors.toSet()));
            cache.save();

            Map<String, Integer> rowById = new HashMap<>();
            for (int i = 0; i < entries.size(); i++) {
                rowById.put(entries.get(i).id(), i);
            }
            snapshot = new Snapshot(List.copyOf(entries), Map.copyOf(rowById), EmbeddingMatrix.of(rows, model.dimensions()));
            skipped += usable.size() - entries.size();
            state = new State(Status.READY, skipped, embedded, "loaded " + entries.size() + " entries");
            LOG.infof("knowledge base ready: %d entries (%d embedded now, the rest from the cache), %d skipped",
                    entries.size(), embedded, skipped);
        } catch (RuntimeException e) {
            LOG.error("loading the knowledge base failed", e);
            state = new State(Status.FAILED, state.skipped(), 0, "loading failed: " + e.getMessage());
        }
    }

    /** Embeds the usable candidates missing from the cache; returns how many were embedded. */
    private int embedMissing(List<Candidate> usable, EmbeddingCache cache) {
        List<Candidate> missing = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (Candidate c : usable) {
            if (cache.get(c.contentHash).isEmpty() && seen.add(c.contentHash)) {
                missing.add(c);
            }
        }
        LOG.infof("knowledge base: %d images, %d embeddings cached, %d to embed", usable.size(),
                usable.size() - missing.size(), missing.size());
        int embedded = 0;
        long started = System.nanoTime();
        for (int from = 0; from < missing.size(); from += maxBatch) {
            List<Candidate> batch = missing.subList(from, Math.min(missing.size(), from + maxBatch));
            List<ImageEncoder.BatchItem> items = encoder.encodeBatch(batch.stream().map(c -> c.file).toList());
            for (int i = 0; i < batch.size(); i++) {
                Candidate c = batch.get(i);
                ImageEncoder.BatchItem item = items.get(i);
                if (item.embedding().isPresent()) {
                    cache.put(c.contentHash, item.embedding().get());
                    embedded++;
                } else {
                    LOG.warnf("%s line %d: skipped %s: %s", config.descriptions().getFileName(), c.line, c.imagePath,
                            item.failure().orElse("could not be embedded"));
                }
            }
            int done = from + batch.size();
            double seconds = (System.nanoTime() - started) / 1e9;
            LOG.infof("embedded %d/%d images (%.1f images/s)", done, missing.size(), done / Math.max(seconds, 1e-9));
        }
        return embedded;
    }

    /** Parses description.jsonl; lines with a problem come back with the problem set. */
    private List<Candidate> readDescriptions(Path descriptions) {
        if (!Files.isRegularFile(descriptions)) {
            LOG.warnf("no knowledge base file at %s: starting with an empty knowledge base", descriptions);
            return List.of();
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(descriptions, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + descriptions + ": " + e.getMessage(), e);
        }
        Path base = baseDirectory(descriptions);
        String fileName = String.valueOf(descriptions.getFileName());
        List<Candidate> candidates = new ArrayList<>();
        Map<Path, Integer> lineByFile = new HashMap<>();
        Set<String> idsInUse = new HashSet<>();
        for (int i = 0; i < lines.size(); i++) {
            int lineNumber = i + 1;
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                continue;
            }
            Candidate c = parseLine(line, lineNumber, base, lineByFile);
            if (c.problem != null) {
                LOG.warnf("%s line %d: skipped: %s", fileName, lineNumber, c.problem);
            } else {
                c.id = uniqueId(c.file, idsInUse);
            }
            candidates.add(c);
        }
        return candidates;
    }

    private Candidate parseLine(String line, int lineNumber, Path base, Map<Path, Integer> lineByFile) {
        Candidate c = new Candidate(lineNumber);
        JsonNode node;
        try {
            node = json.readTree(line);
        } catch (IOException e) {
            return c.problem("not a valid JSON object");
        }
        if (node == null || !node.isObject()) {
            return c.problem("not a JSON object");
        }
        JsonNode path = node.get("image_path");
        JsonNode description = node.get("description");
        if (path == null || !path.isTextual() || path.asText().isBlank()) {
            return c.problem("no \"image_path\" string");
        }
        if (description == null || !description.isTextual() || description.asText().isBlank()) {
            return c.problem("no \"description\" string");
        }
        c.imagePath = path.asText();
        c.description = description.asText().strip();
        Path file;
        try {
            file = base.resolve(c.imagePath).normalize();
        } catch (java.nio.file.InvalidPathException e) {
            return c.problem("\"" + c.imagePath + "\" is not a valid path");
        }
        if (!file.startsWith(base)) {
            return c.problem("\"" + c.imagePath + "\" points outside " + base);
        }
        Integer firstLine = lineByFile.putIfAbsent(file, lineNumber);
        if (firstLine != null) {
            return c.problem("\"" + c.imagePath + "\" is already listed on line " + firstLine);
        }
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            return c.problem("image \"" + c.imagePath + "\" is missing or unreadable");
        }
        c.file = file;
        try {
            c.contentHash = hash(file);
            c.mediaType = ImageDecoder.mimeType(header(file)).orElse(null);
        } catch (java.io.UncheckedIOException e) {
            return c.problem("image \"" + c.imagePath + "\" cannot be read");
        }
        if (c.mediaType == null) {
            return c.problem("\"" + c.imagePath + "\" is not a JPEG, PNG, WebP, GIF or BMP image");
        }
        return c;
    }

    private static String hash(Path file) {
        try {
            return ContentHash.contentHash(file);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static byte[] header(Path file) {
        try (java.io.InputStream in = Files.newInputStream(file)) {
            return in.readNBytes(32);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Path baseDirectory(Path descriptions) {
        Path parent = descriptions.toAbsolutePath().normalize().getParent();
        return parent == null ? Path.of("").toAbsolutePath() : parent;
    }

    /** A readable id from the file name ("image_database/Chelsea Cat.jpg" → "chelsea-cat"), unique within the load. */
    static String uniqueId(Path file, Set<String> idsInUse) {
        String name = String.valueOf(file.getFileName());
        int dot = name.lastIndexOf('.');
        String stem = dot > 0 ? name.substring(0, dot) : name;
        String slug = stem.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]+", "-").replaceAll("^-+|-+$", "");
        if (slug.isEmpty()) {
            slug = "image";
        }
        if (slug.length() > 64) {
            slug = slug.substring(0, 64);
        }
        String id = slug;
        for (int n = 2; idsInUse.contains(id); n++) {
            id = slug + "-" + n;
        }
        idsInUse.add(id);
        return id;
    }

    /** A line of description.jsonl on its way to becoming an entry. */
    private static final class Candidate {
        final int line;
        String id;
        String imagePath;
        String description;
        Path file;
        String contentHash;
        String mediaType;
        String problem;

        Candidate(int line) {
            this.line = line;
        }

        Candidate problem(String reason) {
            this.problem = reason;
            return this;
        }
    }
}
