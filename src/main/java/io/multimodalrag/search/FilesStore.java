package io.multimodalrag.search;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.multimodalrag.clip.ClipModel;
import io.multimodalrag.clip.ImageEncoder;
import io.multimodalrag.config.RagConfig;
import io.multimodalrag.files.ContentHash;
import io.multimodalrag.files.DurableFiles;
import io.multimodalrag.search.KnowledgeBase.CatalogueUnusableException;
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
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * The files store, the embedded default: the entries of description.jsonl, the images beside it (added ones stored
 * in {@code rag.knowledge-base.images-dir} under content-derived names), and their embeddings in the local
 * {@link EmbeddingCache}, reused while the model and the image are unchanged, otherwise computed by the encoder in
 * batches. A bad line or image is skipped with a warning, never fatal.
 *
 * <p>An absent or unreadable description.jsonl is never read as an empty knowledge base, nor is a file none of whose
 * lines can be used, nor an empty file beside images: a load that finds one of these is refused
 * ({@link CatalogueUnusableException}). Stored images that no line names are moved aside only after the file has been
 * read whole; embeddings are dropped from the cache only when every line's image could be read. See
 * {@link DescriptionFile} for how description.jsonl stays intact through a crash.
 */
final class FilesStore implements KnowledgeBaseStore {

    private static final Logger LOG = Logger.getLogger(FilesStore.class);

    /** Names of images stored by {@link #add}: a content hash prefix and the format's extension. */
    private static final Pattern STORED_NAME = Pattern.compile("[0-9a-f]{16}\\.(jpg|png|webp|gif|bmp)");

    /** File names of the supported formats, lower-cased. */
    private static final Pattern IMAGE_NAME = Pattern.compile(".+\\.(jpe?g|png|webp|gif|bmp)");

    private static final String ORPHANS = ".orphaned";

    /** Compiled once: {@link #uniqueId} runs for every line of a 10,000-line knowledge base at start-up. */
    private static final Pattern NOT_ID_CHARACTERS = Pattern.compile("[^a-z0-9._-]+");
    private static final Pattern EDGE_DASHES = Pattern.compile("^-+|-+$");

    private final ImageEncoder encoder;
    private final ObjectMapper json;
    private final RagConfig.KnowledgeBase config;
    private final int maxBatch;
    private final DescriptionFile descriptionFile;
    private final Path baseDirectory;
    private final MatrixScanner scanner;
    /** The embedding cache of the loaded model. */
    private EmbeddingCache cache;
    /** The model {@link #cache} belongs to. */
    private ClipModel cacheModel;
    /** Whether {@link #cache} stands in for a cache file that could not be opened. */
    private boolean cacheUnopened;
    /** Why embeddings are not being saved to the cache file, if they are not; null while they are. */
    private volatile String cacheWarning;

    FilesStore(ImageEncoder encoder, ObjectMapper json, RagConfig config, MatrixScanner scanner) {
        this(encoder, json, config.knowledgeBase(), config.knowledgeBase().descriptions(), config.encoder().maxBatch(),
                scanner);
    }

    /** A files store reading {@code descriptions} with {@code config}'s other settings (an import's source). */
    FilesStore(ImageEncoder encoder, ObjectMapper json, RagConfig.KnowledgeBase config, Path descriptions, int maxBatch,
            MatrixScanner scanner) {
        this.encoder = encoder;
        this.json = json;
        this.config = config;
        this.maxBatch = Math.max(1, maxBatch);
        this.descriptionFile = new DescriptionFile(descriptions);
        this.baseDirectory = baseDirectory(descriptions);
        this.scanner = scanner;
    }

    @Override
    public String describe() {
        return "description.jsonl at " + descriptionFile.path().toAbsolutePath();
    }

    @Override
    public void close() {
        if (cache != null) {
            cache.close();
            cache = null;
        }
    }

    @Override
    public Map<String, String> warnings() {
        String warning = cacheWarning;
        return warning == null ? Map.of() : Map.of("embeddingCache", warning);
    }

    @Override
    public String kind() {
        return "files";
    }

    /** Forgets the open cache, so that the next load reads the cache file afresh. */
    @Override
    public void forgetEarlierLoads() {
        close();
    }

    @Override
    public Loaded load(ClipModel model, KnowledgeBaseSnapshot serving) {
        List<Candidate> candidates = readDescriptions();
        int skipped = candidates.size() - (int) candidates.stream().filter(c -> c.problem == null).count();
        List<Candidate> usable = candidates.stream().filter(c -> c.problem == null).toList();
        refuseAccidentallyEmpty(candidates, usable, serving);
        quarantineOrphans(candidates);

        // A start-up load opens the cache afresh; a reload keeps it, since the loaded model cannot change
        // while the service runs (even if its file is replaced on disk: the session runs the old weights).
        // A cache that could not be opened is tried again at every load.
        cacheOf(model, true);
        int embedded = embedMissing(usable, cache);

        List<KnowledgeBaseEntry> entries = new ArrayList<>();
        EmbeddingMatrix.Builder matrix = EmbeddingMatrix.builder(model.dimensions(), scanner);
        for (Candidate c : usable) {
            // Straight from the cache into the matrix's segment: no copy per row on the way.
            if (!matrix.appendRow((target, offset) -> cache.copyInto(c.contentHash, target, offset))) {
                continue; // could not be embedded; already warned about, counted below
            }
            entries.add(c.entry());
        }
        if (candidates.stream().noneMatch(c -> c.imageUnavailable)) {
            // Only when every image could be read: one missing for a moment keeps its embedding for its return.
            cache.retainOnly(entries.stream().map(KnowledgeBaseEntry::contentHash).collect(Collectors.toSet()));
        }
        saveCacheQuietly();
        skipped += usable.size() - entries.size();
        return new Loaded(KnowledgeBaseSnapshot.of(entries, matrix.build()), skipped, embedded);
    }

    @Override
    public List<KnowledgeBaseEntry> browse() {
        return readCatalogue(new int[1]).stream().map(CatalogueLine::entry).toList();
    }

    /** A usable line of the catalogue, for an import into another store. */
    record CatalogueLine(KnowledgeBaseEntry entry, int line) {
    }

    /**
     * The usable lines of description.jsonl, in order, without embedding anything or touching the images: what an
     * import copies. Lines with a problem are logged and counted in {@code skipped}.
     *
     * @throws CatalogueUnusableException as {@link #load} does
     */
    List<CatalogueLine> readCatalogue(int[] skipped) {
        List<Candidate> candidates = readDescriptions();
        List<Candidate> usable = candidates.stream().filter(c -> c.problem == null).toList();
        refuseAccidentallyEmpty(candidates, usable, KnowledgeBaseSnapshot.empty());
        skipped[0] = candidates.size() - usable.size();
        return usable.stream().map(c -> new CatalogueLine(c.entry(), c.line)).toList();
    }

    /** The embedding for {@code model} of an image with {@code contentHash} in this store's cache, if it holds one. */
    Optional<float[]> cachedEmbedding(ClipModel model, String contentHash) {
        return cacheOf(model, false).get(contentHash); // once per imported entry: no retry of a cache that failed
    }

    /**
     * The open cache of {@code model}, opened first when none is open for it, or, with {@code retryUnopened}, when
     * the open one stands in for a cache file that could not be opened.
     */
    private EmbeddingCache cacheOf(ClipModel model, boolean retryUnopened) {
        if (cache == null || cacheModel != model || retryUnopened && cacheUnopened) {
            close();
            cache = openCache(model);
            cacheModel = model;
        }
        return cache;
    }

    /**
     * Refuses a catalogue that reads as empty by accident: lines none of which can be used (the images' volume not
     * mounted, the file replaced by something else), or no lines at all beside images in the images folder (a file
     * emptied by a sync job or a failed copy). An empty knowledge base is an empty file and no images.
     */
    private void refuseAccidentallyEmpty(List<Candidate> candidates, List<Candidate> usable,
            KnowledgeBaseSnapshot serving) {
        String fileName = String.valueOf(descriptionFile.path().getFileName());
        if (!candidates.isEmpty() && usable.isEmpty()) {
            Path folder = descriptionFile.path().toAbsolutePath().getParent();
            LOG.errorf("NO USABLE ENTRY: none of the %d lines of %s can be used; image paths are read relative to %s."
                    + " The service stays not ready and looks again every rag.knowledge-base.retry-interval",
                    candidates.size(), descriptionFile.path().toAbsolutePath(), folder);
            throw new CatalogueUnusableException("none of the " + candidates.size() + " lines of " + fileName
                    + " can be used (line " + candidates.get(0).line + ": " + candidates.get(0).problem
                    + ", image paths being relative to " + folder + "); a volume that is not mounted, or a file"
                    + " replaced by another? Fix the file or the images and reload; the service log lists every"
                    + " line's problem");
        }
        if (candidates.isEmpty()) {
            Set<Path> images = imagesStillThere(serving);
            if (!images.isEmpty()) {
                throw new CatalogueUnusableException(fileName + " lists no entries, but " + images.size() + " images it"
                        + " listed or that are stored in " + config.imagesDir() + " are still there: if the file was"
                        + " emptied by accident, restore it and reload; for an empty knowledge base, delete the entries"
                        + " (DELETE /v1/images/{id}) or move the images away");
            }
        }
    }

    /**
     * The images that an empty catalogue would abandon: those of the snapshot being served that are still on disk, and
     * the files of a supported format in the images folder (not its subfolders, such as .orphaned).
     */
    private Set<Path> imagesStillThere(KnowledgeBaseSnapshot serving) {
        Set<Path> images = new HashSet<>();
        for (KnowledgeBaseEntry entry : serving.entries()) {
            if (Files.isRegularFile(entry.file())) {
                images.add(entry.file());
            }
        }
        Path imagesDir = imagesDirectory();
        if (Files.isDirectory(imagesDir)) {
            try (Stream<Path> files = Files.list(imagesDir)) {
                files.filter(Files::isRegularFile)
                        .filter(f -> IMAGE_NAME.matcher(f.getFileName().toString().toLowerCase(Locale.ROOT)).matches())
                        .forEach(images::add);
            } catch (IOException e) {
                throw new CatalogueUnusableException("cannot list " + config.imagesDir() + " (" + e.getMessage() + ")");
            }
        }
        return images;
    }

    @Override
    public KnowledgeBaseEntry add(KnowledgeBaseSnapshot current, NewImage image) {
        try {
            Path imagesDir = imagesDirectory();
            Path file = imagesDir.resolve(image.contentHash().substring(0, 16) + "." + extension(image.mediaType()));
            writeImage(file, image.bytes());
            String imagePath = baseDirectory.relativize(file).toString().replace('\\', '/');
            String id = image.id().orElseGet(() -> uniqueId(file, current::hasId));

            ObjectNode line = json.createObjectNode().put("image_path", imagePath).put("description", image.description());
            image.id().ifPresent(given -> line.put("id", given));
            descriptionFile.append(line.toString());

            cache.put(image.contentHash(), image.embedding());
            saveCacheQuietly();
            return new KnowledgeBaseEntry(id, imagePath, image.description(), image.contentHash(), image.mediaType(),
                    file);
        } catch (java.io.UncheckedIOException e) {
            throw storageFailure(e);
        }
    }

    @Override
    public KnowledgeBaseEntry updateDescription(KnowledgeBaseEntry old, String description) {
        try {
            rewriteLinesOf(old, line -> Optional.of(line.put("description", description)));
        } catch (java.io.UncheckedIOException e) {
            throw storageFailure(e);
        }
        return old.withDescription(description);
    }

    @Override
    public void remove(KnowledgeBaseEntry old, KnowledgeBaseSnapshot next) {
        try {
            rewriteLinesOf(old, line -> Optional.empty());
        } catch (java.io.UncheckedIOException e) {
            throw storageFailure(e);
        }
        if (!next.namesFile(old.file())) {
            try {
                Files.deleteIfExists(old.file());
            } catch (IOException e) {
                LOG.warnf("removed knowledge-base image %s but could not delete %s: %s", old.id(), old.imagePath(),
                        e.getMessage());
            }
        }
        // Browsed without a model, no cache is open: the next load drops the embedding, as it drops any no line names.
        if (cache != null && !next.hasContent(old.contentHash())) {
            cache.remove(old.contentHash());
            saveCacheQuietly();
        }
    }

    @Override
    public StoredImage image(KnowledgeBaseEntry entry) {
        try {
            return new StoredImage.InFile(entry.file(), Files.size(entry.file()));
        } catch (IOException e) {
            throw new UnknownEntryException(entry.id(), "the image of '" + entry.id() + "' is not on disk any more");
        }
    }

    private KnowledgeBaseStorageException storageFailure(java.io.UncheckedIOException e) {
        LOG.errorf("a knowledge-base write failed, nothing was changed: %s", e.getMessage());
        if (e.getCause() instanceof java.nio.file.NoSuchFileException) {
            return new KnowledgeBaseStorageException("the knowledge base could not be changed: "
                    + descriptionFile.path().getFileName() + " is missing (a volume not mounted, or the file being"
                    + " replaced?); nothing was changed, retry once it is back", e);
        }
        String reason = e.getCause() instanceof java.nio.file.AccessDeniedException
                || String.valueOf(e.getCause().getMessage()).contains("Read-only file system")
                ? "its files are read-only here (a read-only volume, or no write permission)"
                : "its files cannot be written (the service log says why)";
        return new KnowledgeBaseStorageException("the knowledge base could not be changed: " + reason
                + "; send writes to the instance that owns description.jsonl", e);
    }

    /**
     * Rewrites description.jsonl with the lines naming {@code entry}'s image edited (or dropped when
     * the edit returns empty). Lines that do not parse are kept exactly as they are.
     */
    private void rewriteLinesOf(KnowledgeBaseEntry entry, Function<ObjectNode, Optional<ObjectNode>> edit) {
        List<String> lines = descriptionFile.readRepairingTornTail(this::isJsonObject);
        List<String> rewritten = new ArrayList<>(lines.size());
        boolean found = false;
        for (String line : lines) {
            Optional<ObjectNode> node = parseObject(line);
            Optional<Path> file = node.map(n -> n.get("image_path")).filter(JsonNode::isTextual)
                    .flatMap(p -> resolveQuietly(p.asText()));
            if (file.isPresent() && file.get().equals(entry.file())) {
                found = true;
                edit.apply(node.get()).ifPresent(edited -> rewritten.add(edited.toString()));
            } else {
                rewritten.add(line);
            }
        }
        if (!found) {
            // The file was changed behind the service's back: rewriting the rest of it from here could undo that.
            throw new KnowledgeBaseStorageException("the knowledge base could not be changed: "
                    + descriptionFile.path().getFileName() + " no longer names '" + entry.id() + "' (changed by someone"
                    + " else?); nothing was changed; reload (POST /v1/admin/reload) and retry", null);
        }
        descriptionFile.rewrite(rewritten);
    }

    /**
     * Saves the cache, warning on failure: the cache only saves work at the next start, and the knowledge base itself
     * is intact. What was not written stays in memory and goes with the next save, after an add, a removal or a
     * reload, so the cache recovers once the disk has room again.
     */
    private void saveCacheQuietly() {
        try {
            cache.save();
            if (!cacheUnopened) {
                cacheWarning = null;
            }
        } catch (java.io.UncheckedIOException e) {
            LOG.warnf("could not save the embedding cache (%s); the knowledge base is intact, the next write or reload"
                    + " tries again", e.getMessage());
            cacheWarning = "the embedding cache cannot be written (a full disk, or not a folder?); embeddings made since"
                    + " are kept in memory until it can";
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

    /** The file extension the store gives an image of {@code mediaType}. */
    static String extension(String mediaType) {
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
    private void quarantineOrphans(List<Candidate> candidates) {
        Path imagesDir = imagesDirectory();
        if (!Files.isDirectory(imagesDir)) {
            return;
        }
        // Every file a line names counts, also when the line was skipped for another reason; so do stored names
        // seen in lines that do not parse.
        Set<Path> referenced = new HashSet<>();
        Set<String> namedInBrokenLines = new HashSet<>();
        for (Candidate c : candidates) {
            if (c.named != null) {
                referenced.add(c.named);
            }
            if (c.unparsed != null) {
                STORED_NAME.matcher(c.unparsed).results().forEach(m -> namedInBrokenLines.add(m.group()));
            }
        }
        try (Stream<Path> files = Files.list(imagesDir)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                String name = file.getFileName().toString();
                if (name.endsWith(".tmp") && STORED_NAME.matcher(name.substring(0, name.length() - 4)).matches()) {
                    Files.deleteIfExists(file);
                    LOG.warnf("deleted %s, an image write interrupted by a crash", name);
                } else if (STORED_NAME.matcher(name).matches() && !referenced.contains(file)
                        && !namedInBrokenLines.contains(name)) {
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
                    LOG.warnf("%s line %d: skipped %s: %s", descriptionFile.path().getFileName(), c.line, c.imagePath,
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
        String fileName = String.valueOf(descriptions.getFileName());
        List<String> lines;
        try {
            lines = descriptionFile.readRepairingTornTail(this::isJsonObject);
        } catch (java.io.UncheckedIOException e) {
            boolean absent = e.getCause() instanceof java.nio.file.NoSuchFileException;
            Path workingDirectory = Path.of("").toAbsolutePath();
            if (absent) {
                LOG.errorf("NO KNOWLEDGE BASE: there is no %s (rag.knowledge-base.descriptions=%s, relative to the"
                        + " working directory %s); the service stays not ready and looks again every"
                        + " rag.knowledge-base.retry-interval. Start it from the folder that holds description.jsonl and"
                        + " image_database/, or point the setting at yours", descriptions.toAbsolutePath(), descriptions,
                        workingDirectory);
            } else {
                LOG.warnf("cannot read the knowledge base file %s: %s", descriptions.toAbsolutePath(), e.getMessage());
            }
            throw new CatalogueUnusableException(absent
                    ? "no knowledge base file " + descriptions.toAbsolutePath() + " (rag.knowledge-base.descriptions="
                            + descriptions + ", relative to the working directory " + workingDirectory + "); start the"
                            + " service where description.jsonl is, point the setting at yours, or create it (an empty"
                            + " file is an empty knowledge base)"
                    : "the knowledge base file " + fileName + " cannot be read (the log says why)");
        }
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
                c.id = uniqueId(c.file, idsInUse::contains);
                idsInUse.add(c.id);
            }
        }
        return candidates;
    }

    private Candidate parseLine(String line, int lineNumber, Map<Path, Integer> lineByFile, Map<String, Integer> lineById,
            ContentHash.FileHasher hasher) {
        Candidate c = new Candidate(lineNumber);
        Optional<ObjectNode> parsed = parseObject(line);
        if (parsed.isEmpty()) {
            c.unparsed = line;
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
        if (id != null && (!id.isTextual() || !KnowledgeBase.ID_PATTERN.matcher(id.asText()).matches())) {
            return c.problem("\"id\" must be 1 to 64 letters, digits, '.', '_' or '-'");
        }
        c.imagePath = path.asText();
        c.description = description.asText().strip();
        Optional<Path> resolved = resolveQuietly(c.imagePath);
        if (resolved.isEmpty()) {
            return c.problem("\"" + c.imagePath + "\" is not a path inside " + baseDirectory);
        }
        Path file = resolved.get();
        c.named = file;
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
            c.imageUnavailable = true;
            return c.problem("image \"" + c.imagePath + "\" is missing or unreadable");
        }
        c.file = file;
        try {
            // One pass over the file gives both its hash and the bytes that tell its format.
            c.contentHash = hasher.contentHash(file);
            c.mediaType = ImageEncoder.mediaType(hasher.head()).orElse(null);
        } catch (IOException e) {
            c.imageUnavailable = true;
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
     * The embedding cache of {@code model}'s vision tower, under {@link ImageEncoder#embeddingFingerprint}: embeddings
     * made by other weights or from other pixels are never reused.
     */
    private EmbeddingCache openCache(ClipModel model) {
        cacheUnopened = false;
        cacheWarning = null;
        if (!config.cacheEnabled()) {
            return EmbeddingCache.disabled(model.dimensions());
        }
        try {
            return openCacheFile(model);
        } catch (RuntimeException e) {
            // An accelerator, not a store: without it every image is embedded at each start, and nothing is lost.
            LOG.warnf("the embedding cache in %s cannot be used (%s); embedding without caching, the next load tries again",
                    config.cacheDir().toAbsolutePath(), e.getMessage());
            cacheUnopened = true;
            cacheWarning = "the embedding cache cannot be opened; embeddings are not cached (the log says why)";
            return EmbeddingCache.disabled(model.dimensions());
        }
    }

    private EmbeddingCache openCacheFile(ClipModel model) {
        return EmbeddingCache.open(config.cacheDir(), ImageEncoder.embeddingFingerprint(model), model.dimensions());
    }

    private static Path baseDirectory(Path descriptions) {
        Path parent = descriptions.toAbsolutePath().normalize().getParent();
        return parent == null ? Path.of("").toAbsolutePath() : parent;
    }

    /** A readable id from the file name ("image_database/Chelsea Cat.jpg" → "chelsea-cat"), not one of {@code taken}. */
    static String uniqueId(Path file, Predicate<String> taken) {
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
        for (int n = 2; taken.test(id); n++) {
            id = slug + "-" + n;
        }
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
        /** The file the line names, once its path is known to lie inside the folder, usable or not. */
        Path named;
        /** The line's text when it does not parse. */
        String unparsed;
        /** Skipped because its image could not be read: a volume glitch must not cost it its cached embedding. */
        boolean imageUnavailable;

        Candidate(int line) {
            this.line = line;
        }

        KnowledgeBaseEntry entry() {
            return new KnowledgeBaseEntry(id, imagePath, description, contentHash, mediaType, file);
        }

        Candidate problem(String reason) {
            this.problem = reason;
            return this;
        }
    }
}
