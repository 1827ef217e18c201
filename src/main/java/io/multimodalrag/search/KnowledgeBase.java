package io.multimodalrag.search;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.multimodalrag.clip.ClipModel;
import io.multimodalrag.clip.ImageEncoder;
import io.multimodalrag.clip.ModelLoader;
import io.multimodalrag.clip.ModelUnavailableException;
import io.multimodalrag.config.RagConfig;
import io.multimodalrag.image.ImageDecoder;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * The knowledge base: the entries of description.jsonl and one contiguous matrix of their
 * embeddings, searched by exact inner product. Loaded at start-up; embeddings come from the
 * on-disk cache when the model and the image are unchanged, otherwise from the encoder in batches.
 * A bad line or image is skipped with a warning, never fatal.
 *
 * <p>Readers never wait: they use the current immutable {@link Snapshot}. Writers (add, update,
 * remove, reload) are serialised by one lock, change the files first (see {@link DescriptionFile}
 * for how description.jsonl stays intact through a crash) and then publish a new snapshot.
 */
@ApplicationScoped
public class KnowledgeBase {

    private static final Logger LOG = Logger.getLogger(KnowledgeBase.class);

    /** Ids given by clients or written in description.jsonl: URL-safe, short. */
    public static final Pattern ID_PATTERN = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    /** Names of images stored by {@link #add}: a content hash prefix and the format's extension. */
    private static final Pattern STORED_NAME = Pattern.compile("[0-9a-f]{16}\\.(jpg|png|webp|gif|bmp)");

    private static final String ORPHANS = ".orphaned";

    /** Compiled once: {@link #uniqueId} runs for every line of a 10,000-line knowledge base at start-up. */
    private static final Pattern NOT_ID_CHARACTERS = Pattern.compile("[^a-z0-9._-]+");
    private static final Pattern EDGE_DASHES = Pattern.compile("^-+|-+$");

    /** Where loading stands. */
    public enum Status {
        LOADING, READY, FAILED
    }

    /** Entries and their embeddings, row i of the matrix belonging to entry i. Never mutated. */
    public record Snapshot(List<KnowledgeBaseEntry> entries, Map<String, Integer> rowById,
            Map<String, Integer> rowByContentHash, EmbeddingMatrix matrix) {

        static Snapshot empty() {
            return new Snapshot(List.of(), Map.of(), Map.of(), EmbeddingMatrix.empty(1));
        }

        static Snapshot of(List<KnowledgeBaseEntry> entries, EmbeddingMatrix matrix) {
            Map<String, Integer> byId = new HashMap<>();
            Map<String, Integer> byHash = new HashMap<>();
            for (int i = 0; i < entries.size(); i++) {
                byId.put(entries.get(i).id(), i);
                byHash.putIfAbsent(entries.get(i).contentHash(), i);
            }
            return new Snapshot(List.copyOf(entries), Map.copyOf(byId), Map.copyOf(byHash), matrix);
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
    private final DescriptionFile descriptionFile;
    private final Path baseDirectory;
    private final MatrixScanner scanner;
    private final ReentrantLock writeLock = new ReentrantLock();
    /** The embedding cache of the loaded model, guarded by {@link #writeLock}. */
    private EmbeddingCache cache;
    /** The model {@link #cache} belongs to, guarded by {@link #writeLock}. */
    private ClipModel cacheModel;
    private volatile Snapshot snapshot = Snapshot.empty();
    private volatile State state = new State(Status.LOADING, 0, 0, "the knowledge base is loading");

    public KnowledgeBase(ModelLoader models, ImageEncoder encoder, ObjectMapper json, RagConfig config) {
        this.models = models;
        this.encoder = encoder;
        this.json = json;
        this.config = config.knowledgeBase();
        this.maxBatch = Math.max(1, config.encoder().maxBatch());
        this.descriptionFile = new DescriptionFile(this.config.descriptions());
        this.baseDirectory = baseDirectory(this.config.descriptions());
        this.scanner = MatrixScanner.create(
                config.search().threads().orElse(Runtime.getRuntime().availableProcessors()));
        LOG.infof("exact search: kernel %s; up to %d threads per search", scanner.kernelDescription(),
                scanner.threads());
    }

    @PreDestroy
    void stopSearchThreads() {
        scanner.close();
        writeLock.lock();
        try {
            if (cache != null) {
                cache.close();
            }
        } finally {
            writeLock.unlock();
        }
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
        writeLock.lock();
        try {
            if (cache != null) {
                cache.close();
                cache = null; // read the cache file afresh
            }
            state = loadNow();
        } catch (RuntimeException e) {
            LOG.error("loading the knowledge base failed", e);
            state = new State(Status.FAILED, state.skipped(), 0, "loading failed: " + e.getMessage());
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * Re-reads description.jsonl and the images, embedding only new or changed ones, for teams
     * that change the files behind the service's back. Searches go on against the old snapshot
     * until the new one is ready.
     */
    public State reload() {
        models.require();
        writeLock.lock();
        try {
            State reloaded = loadNow();
            state = reloaded;
            return reloaded;
        } finally {
            writeLock.unlock();
        }
    }

    private State loadNow() {
        ClipModel model = models.require();
        List<Candidate> candidates = readDescriptions();
        int skipped = candidates.size() - (int) candidates.stream().filter(c -> c.problem == null).count();
        List<Candidate> usable = candidates.stream().filter(c -> c.problem == null).toList();
        quarantineOrphans(usable);

        // load() opens the cache afresh; a reload keeps it, since the loaded model cannot change
        // while the service runs (even if its file is replaced on disk: the session runs the old weights).
        if (cache == null || cacheModel != model) {
            if (cache != null) {
                cache.close();
            }
            cache = openCache(model);
            cacheModel = model;
        }
        int embedded = embedMissing(usable, cache);

        List<KnowledgeBaseEntry> entries = new ArrayList<>();
        float[] matrix = new float[usable.size() * model.dimensions()];
        for (Candidate c : usable) {
            // Straight from the cache into the matrix: no copy per row on the way.
            if (!cache.copyInto(c.contentHash, matrix, entries.size() * model.dimensions())) {
                continue; // could not be embedded; already warned about, counted below
            }
            entries.add(new KnowledgeBaseEntry(c.id, c.imagePath, c.description, c.contentHash, c.mediaType, c.file));
        }
        float[] rows = entries.size() == usable.size() ? matrix : Arrays.copyOf(matrix, entries.size() * model.dimensions());
        cache.retainOnly(entries.stream().map(KnowledgeBaseEntry::contentHash).collect(Collectors.toSet()));
        cache.save();

        snapshot = Snapshot.of(entries, EmbeddingMatrix.of(rows, model.dimensions(), scanner));
        skipped += usable.size() - entries.size();
        LOG.infof("knowledge base ready: %d entries (%d embedded now, the rest from the cache), %d skipped",
                entries.size(), embedded, skipped);
        return new State(Status.READY, skipped, embedded, "loaded " + entries.size() + " entries");
    }

    /**
     * Adds an image: refuses a duplicate before spending work on it, embeds it on the worker pool,
     * then stores the file under a content-derived name, appends its line durably and makes it
     * searchable.
     *
     * @param requestedId the client's id, or empty to derive one from the stored file name
     */
    public Uni<KnowledgeBaseEntry> add(byte[] image, String description, Optional<String> requestedId) {
        requireReady();
        String contentHash = ContentHash.contentHash(image);
        checkNotDuplicate(snapshot, contentHash, requestedId);
        return encoder.encode(image).map(embedding -> store(image, contentHash, description, requestedId, embedding));
    }

    private KnowledgeBaseEntry store(byte[] image, String contentHash, String description, Optional<String> requestedId,
            float[] embedding) {
        String mediaType = ImageDecoder.mimeType(image).orElseThrow(); // the encoder has decoded it already
        writeLock.lock();
        try {
            Snapshot current = snapshot;
            checkNotDuplicate(current, contentHash, requestedId);
            Path imagesDir = imagesDirectory();
            Path file = imagesDir.resolve(contentHash.substring(0, 16) + "." + extension(mediaType));
            writeImage(file, image);
            String imagePath = baseDirectory.relativize(file).toString().replace('\\', '/');
            String id = requestedId.orElseGet(() -> uniqueId(file, new HashSet<>(current.rowById().keySet())));

            ObjectNode line = json.createObjectNode().put("image_path", imagePath).put("description", description);
            requestedId.ifPresent(given -> line.put("id", given));
            descriptionFile.append(line.toString());

            cache.put(contentHash, embedding);
            saveCacheQuietly();
            KnowledgeBaseEntry entry = new KnowledgeBaseEntry(id, imagePath, description, contentHash, mediaType, file);
            List<KnowledgeBaseEntry> entries = new ArrayList<>(current.entries());
            entries.add(entry);
            snapshot = Snapshot.of(entries, current.matrix().withRowsAppended(embedding));
            LOG.infof("added knowledge-base image %s (%s)", id, imagePath);
            return entry;
        } catch (java.io.UncheckedIOException e) {
            throw storageFailure(e);
        } finally {
            writeLock.unlock();
        }
    }

    /** Replaces an entry's description: its line is rewritten, the rest of the file kept as it is. */
    public KnowledgeBaseEntry updateDescription(String id, String description) {
        requireReady();
        writeLock.lock();
        try {
            Snapshot current = snapshot;
            int row = rowOf(current, id);
            KnowledgeBaseEntry old = current.entries().get(row);
            rewriteLinesOf(old, line -> Optional.of(line.put("description", description)));
            KnowledgeBaseEntry updated = new KnowledgeBaseEntry(old.id(), old.imagePath(), description, old.contentHash(),
                    old.mediaType(), old.file());
            List<KnowledgeBaseEntry> entries = new ArrayList<>(current.entries());
            entries.set(row, updated);
            snapshot = Snapshot.of(entries, current.matrix());
            LOG.infof("updated the description of knowledge-base image %s", id);
            return updated;
        } catch (java.io.UncheckedIOException e) {
            throw storageFailure(e);
        } finally {
            writeLock.unlock();
        }
    }

    /** Removes an entry: its line (atomically rewriting the file), then its image file. */
    public KnowledgeBaseEntry remove(String id) {
        requireReady();
        writeLock.lock();
        try {
            Snapshot current = snapshot;
            int row = rowOf(current, id);
            KnowledgeBaseEntry old = current.entries().get(row);
            rewriteLinesOf(old, line -> Optional.empty());
            List<KnowledgeBaseEntry> entries = new ArrayList<>(current.entries());
            entries.remove(row);
            snapshot = Snapshot.of(entries, current.matrix().withoutRow(row));
            boolean sharedFile = entries.stream().anyMatch(e -> e.file().equals(old.file()));
            if (!sharedFile) {
                try {
                    Files.deleteIfExists(old.file());
                } catch (IOException e) {
                    LOG.warnf("removed knowledge-base image %s but could not delete %s: %s", id, old.imagePath(),
                            e.getMessage());
                }
            }
            if (entries.stream().noneMatch(e -> e.contentHash().equals(old.contentHash()))) {
                cache.retainOnly(entries.stream().map(KnowledgeBaseEntry::contentHash).collect(Collectors.toSet()));
                saveCacheQuietly();
            }
            LOG.infof("removed knowledge-base image %s (%s)", id, old.imagePath());
            return old;
        } catch (java.io.UncheckedIOException e) {
            throw storageFailure(e);
        } finally {
            writeLock.unlock();
        }
    }

    private KnowledgeBaseStorageException storageFailure(java.io.UncheckedIOException e) {
        LOG.errorf("a knowledge-base write failed, nothing was changed: %s", e.getMessage());
        String reason = e.getCause() instanceof java.nio.file.AccessDeniedException
                || String.valueOf(e.getCause().getMessage()).contains("Read-only file system")
                ? "its files are read-only here (a read-only volume, or no write permission)"
                : "its files cannot be written (the service log says why)";
        return new KnowledgeBaseStorageException("the knowledge base could not be changed: " + reason
                + "; send writes to the instance that owns description.jsonl", e);
    }

    private void requireReady() {
        if (state.status() != Status.READY) {
            models.require();
            throw new ModelUnavailableException("the knowledge base is not loaded yet: " + state.reason());
        }
    }

    private static int rowOf(Snapshot snapshot, String id) {
        Integer row = snapshot.rowById().get(id);
        if (row == null) {
            throw new UnknownEntryException(id);
        }
        return row;
    }

    private static void checkNotDuplicate(Snapshot snapshot, String contentHash, Optional<String> requestedId) {
        Integer sameContent = snapshot.rowByContentHash().get(contentHash);
        if (sameContent != null) {
            KnowledgeBaseEntry existing = snapshot.entries().get(sameContent);
            throw new DuplicateEntryException("this image is already in the knowledge base as '" + existing.id() + "'",
                    existing);
        }
        if (requestedId.isPresent() && snapshot.rowById().containsKey(requestedId.get())) {
            KnowledgeBaseEntry existing = snapshot.entries().get(snapshot.rowById().get(requestedId.get()));
            throw new DuplicateEntryException("the id '" + existing.id() + "' is already taken", existing);
        }
    }

    /**
     * Rewrites description.jsonl with the lines naming {@code entry}'s image edited (or dropped when
     * the edit returns empty). Lines that do not parse are kept exactly as they are.
     */
    private void rewriteLinesOf(KnowledgeBaseEntry entry, Function<ObjectNode, Optional<ObjectNode>> edit) {
        List<String> lines = descriptionFile.readRepairingTornTail(this::isJsonObject);
        List<String> rewritten = new ArrayList<>(lines.size());
        for (String line : lines) {
            Optional<ObjectNode> node = parseObject(line);
            Optional<Path> file = node.map(n -> n.get("image_path")).filter(JsonNode::isTextual)
                    .flatMap(p -> resolveQuietly(p.asText()));
            if (file.isPresent() && file.get().equals(entry.file())) {
                edit.apply(node.get()).ifPresent(edited -> rewritten.add(edited.toString()));
            } else {
                rewritten.add(line);
            }
        }
        descriptionFile.rewrite(rewritten);
    }

    private void saveCacheQuietly() {
        try {
            cache.save();
        } catch (java.io.UncheckedIOException e) {
            // The cache only saves work at the next start; the knowledge base itself is intact.
            LOG.warnf("could not save the embedding cache: %s", e.getMessage());
        }
    }

    private Path imagesDirectory() {
        Path dir = baseDirectory.resolve(config.imagesDir()).normalize();
        if (!dir.startsWith(baseDirectory)) {
            throw new IllegalStateException("rag.knowledge-base.images-dir must lie inside the knowledge base's folder");
        }
        return dir;
    }

    /** Writes an image atomically (see {@link DurableFiles#replace}); an identical file already there is kept. */
    private static void writeImage(Path file, byte[] image) {
        try {
            Files.createDirectories(file.getParent());
            if (Files.isRegularFile(file) && Files.size(file) == image.length
                    && Arrays.equals(Files.readAllBytes(file), image)) {
                return;
            }
            DurableFiles.replace(file, image);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot store the image in " + file.getParent() + ": " + e.getMessage(), e);
        }
    }

    private static String extension(String mediaType) {
        return switch (mediaType) {
            case "image/jpeg" -> "jpg";
            case "image/png" -> "png";
            case "image/webp" -> "webp";
            case "image/gif" -> "gif";
            case "image/bmp" -> "bmp";
            default -> throw new IllegalArgumentException("no file extension for " + mediaType);
        };
    }

    /**
     * Moves images that this service stored (content-derived names) but that no line names any more
     * into {@code .orphaned/}: they are left behind by a crash between storing an image and
     * appending its line, or between removing a line and deleting its image. Other files are
     * never touched.
     */
    private void quarantineOrphans(List<Candidate> usable) {
        Path imagesDir = imagesDirectory();
        if (!Files.isDirectory(imagesDir)) {
            return;
        }
        Set<Path> referenced = usable.stream().map(c -> c.file).collect(Collectors.toSet());
        try (Stream<Path> files = Files.list(imagesDir)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                String name = file.getFileName().toString();
                if (name.endsWith(".tmp") && STORED_NAME.matcher(name.substring(0, name.length() - 4)).matches()) {
                    Files.deleteIfExists(file);
                    LOG.warnf("deleted %s, an image write interrupted by a crash", name);
                } else if (STORED_NAME.matcher(name).matches() && !referenced.contains(file)) {
                    Path orphans = Files.createDirectories(imagesDir.resolve(ORPHANS));
                    Files.move(file, orphans.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                    LOG.warnf("%s is stored in %s but no line of %s names it (left by a crash); moved it to %s",
                            name, imagesDir.getFileName(), descriptionFile.path().getFileName(), ORPHANS + "/");
                }
            }
        } catch (IOException e) {
            LOG.warnf("could not check %s for orphaned images: %s", imagesDir, e.getMessage());
        }
    }

    /** Embeds the usable candidates missing from the cache; returns how many were embedded. */
    private int embedMissing(List<Candidate> usable, EmbeddingCache cache) {
        List<Candidate> missing = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (Candidate c : usable) {
            if (!cache.contains(c.contentHash) && seen.add(c.contentHash)) {
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
            // Appended batch by batch: a crash keeps what was embedded, and vectors do not pile up in the heap.
            saveCacheQuietly();
            int done = from + batch.size();
            double seconds = (System.nanoTime() - started) / 1e9;
            LOG.infof("embedded %d/%d images (%.1f images/s)", done, missing.size(), done / Math.max(seconds, 1e-9));
        }
        return embedded;
    }

    /**
     * Parses description.jsonl (repairing a line torn by a crash); lines with a problem come back
     * with the problem set. Ids written in the file win; the others are derived from file names.
     */
    private List<Candidate> readDescriptions() {
        Path descriptions = descriptionFile.path();
        if (!Files.isRegularFile(descriptions)) {
            LOG.warnf("no knowledge base file at %s: starting with an empty knowledge base", descriptions);
            return List.of();
        }
        List<String> lines = descriptionFile.readRepairingTornTail(this::isJsonObject);
        String fileName = String.valueOf(descriptions.getFileName());
        List<Candidate> candidates = new ArrayList<>();
        Map<Path, Integer> lineByFile = new HashMap<>();
        Map<String, Integer> lineById = new HashMap<>();
        ContentHash.FileHasher hasher = new ContentHash.FileHasher();
        for (int i = 0; i < lines.size(); i++) {
            int lineNumber = i + 1;
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                continue;
            }
            Candidate c = parseLine(line, lineNumber, lineByFile, lineById, hasher);
            if (c.problem != null) {
                LOG.warnf("%s line %d: skipped: %s", fileName, lineNumber, c.problem);
            }
            candidates.add(c);
        }
        Set<String> idsInUse = new HashSet<>(lineById.keySet());
        for (Candidate c : candidates) {
            if (c.problem == null && c.id == null) {
                c.id = uniqueId(c.file, idsInUse);
            }
        }
        return candidates;
    }

    private Candidate parseLine(String line, int lineNumber, Map<Path, Integer> lineByFile, Map<String, Integer> lineById,
            ContentHash.FileHasher hasher) {
        Candidate c = new Candidate(lineNumber);
        Optional<ObjectNode> parsed = parseObject(line);
        if (parsed.isEmpty()) {
            return c.problem("not a valid JSON object");
        }
        ObjectNode node = parsed.get();
        JsonNode path = node.get("image_path");
        JsonNode description = node.get("description");
        JsonNode id = node.get("id");
        if (path == null || !path.isTextual() || path.asText().isBlank()) {
            return c.problem("no \"image_path\" string");
        }
        if (description == null || !description.isTextual() || description.asText().isBlank()) {
            return c.problem("no \"description\" string");
        }
        if (id != null && (!id.isTextual() || !ID_PATTERN.matcher(id.asText()).matches())) {
            return c.problem("\"id\" must be 1 to 64 letters, digits, '.', '_' or '-'");
        }
        c.imagePath = path.asText();
        c.description = description.asText().strip();
        Optional<Path> resolved = resolveQuietly(c.imagePath);
        if (resolved.isEmpty()) {
            return c.problem("\"" + c.imagePath + "\" is not a path inside " + baseDirectory);
        }
        Path file = resolved.get();
        Integer firstLine = lineByFile.putIfAbsent(file, lineNumber);
        if (firstLine != null) {
            return c.problem("\"" + c.imagePath + "\" is already listed on line " + firstLine);
        }
        if (id != null) {
            Integer idLine = lineById.putIfAbsent(id.asText(), lineNumber);
            if (idLine != null) {
                return c.problem("the id \"" + id.asText() + "\" is already used on line " + idLine);
            }
            c.id = id.asText();
        }
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            return c.problem("image \"" + c.imagePath + "\" is missing or unreadable");
        }
        c.file = file;
        try {
            // One pass over the file gives both its hash and the bytes that tell its format.
            c.contentHash = hasher.contentHash(file);
            c.mediaType = ImageDecoder.mimeType(hasher.head()).orElse(null);
        } catch (IOException e) {
            return c.problem("image \"" + c.imagePath + "\" cannot be read");
        }
        if (c.mediaType == null) {
            return c.problem("\"" + c.imagePath + "\" is not a JPEG, PNG, WebP, GIF or BMP image");
        }
        return c;
    }

    /** The file an {@code image_path} names, if it is a valid path inside the knowledge base's folder. */
    private Optional<Path> resolveQuietly(String imagePath) {
        try {
            Path file = baseDirectory.resolve(imagePath).normalize();
            return file.startsWith(baseDirectory) ? Optional.of(file) : Optional.empty();
        } catch (java.nio.file.InvalidPathException e) {
            return Optional.empty();
        }
    }

    private Optional<ObjectNode> parseObject(String line) {
        try {
            JsonNode node = json.readTree(line);
            return node instanceof ObjectNode object ? Optional.of(object) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private boolean isJsonObject(String line) {
        return parseObject(line).isPresent();
    }

    /**
     * The embedding cache of {@code model}'s vision tower. Its fingerprint covers the tower's weights
     * (the file's content hash, remembered between starts by {@link ContentHashMemo} while the file
     * is unchanged) and the image pipeline's version, so embeddings made by other weights or from
     * other pixels are never reused. A disabled cache needs no fingerprint, so nothing is hashed.
     */
    private EmbeddingCache openCache(ClipModel model) {
        if (!config.cacheEnabled()) {
            return EmbeddingCache.disabled(model.dimensions());
        }
        String weights;
        try {
            weights = new ContentHashMemo(config.cacheDir()).contentHash(model.visionFile());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot read the vision tower " + model.visionFile() + ": "
                    + e.getMessage(), e);
        }
        String fingerprint = ContentHash.contentHash((weights + "/pipeline-" + ImageEncoder.PIPELINE_VERSION)
                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return EmbeddingCache.open(config.cacheDir(), fingerprint, model.dimensions());
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
        String slug = EDGE_DASHES.matcher(NOT_ID_CHARACTERS.matcher(stem.toLowerCase(Locale.ROOT)).replaceAll("-"))
                .replaceAll("");
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
