package io.multimodalrag.clip;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import io.multimodalrag.files.ContentHash;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * One CLIP export opened in ONNX Runtime: its {@link VisionTower}, its {@link TextTower} when the
 * export has one, the device they run on, and the model's name. Both towers' sessions are opened
 * alike ({@link OrtSessions}) and created once; {@link ImageEncoder} and {@link TextEncoder} are
 * their only callers.
 */
public final class ClipModel implements AutoCloseable {

    /** Where ONNX Runtime runs the model. */
    public enum Device {
        CPU, CUDA
    }

    private final VisionTower vision;
    private final Optional<TextTower> text;
    private final Device device;
    private final String name;
    private final String visionWeights;

    private ClipModel(VisionTower vision, Optional<TextTower> text, Device device, String name, String visionWeights) {
        this.vision = vision;
        this.text = text;
        this.device = device;
        this.name = name;
        this.visionWeights = visionWeights;
        text.ifPresent(t -> {
            if (t.dimensions() != vision.dimensions()) {
                throw new ModelUnavailableException("the text tower's embeddings have " + t.dimensions()
                        + " dimensions but the vision tower's have " + vision.dimensions() + (t.multilingual()
                        ? "; choose a multilingual tower distilled onto this vision tower (M-CLIP's"
                                + " XLM-Roberta-Large-Vit-B-32 for ViT-B/32)"
                        : "; use the two towers of one export"));
            }
        });
    }

    /** Opens the towers found in {@code modelFiles} on {@code device}, intra-op threads not spinning. */
    public static ClipModel open(ModelFiles modelFiles, Device device, int intraOpThreads) {
        return open(modelFiles, device, intraOpThreads, false);
    }

    /**
     * Opens the towers found in {@code modelFiles} on {@code device}. The vision tower's content hash is computed on
     * a thread of its own meanwhile: reading 351 MB through SHA-256 (0.3–0.65 s) overlaps ONNX Runtime's session
     * creation instead of following it.
     */
    public static ClipModel open(ModelFiles modelFiles, Device device, int intraOpThreads, boolean allowSpinning) {
        return open(modelFiles, Optional.empty(), device, intraOpThreads, allowSpinning);
    }

    /**
     * As {@link #open(ModelFiles, Device, int, boolean)}, the text tower being {@code multilingual} when present (in
     * place of the export's own): a tower distilled onto the same vision tower, so that no image is embedded again.
     */
    public static ClipModel open(ModelFiles modelFiles, Optional<MultilingualFiles> multilingual, Device device,
            int intraOpThreads, boolean allowSpinning) {
        OrtEnvironment environment = OrtEnvironment.getEnvironment();
        CompletableFuture<String> visionWeights = new CompletableFuture<>();
        Thread hashing = new Thread(() -> {
            try {
                visionWeights.complete(ContentHash.contentHash(modelFiles.vision()));
            } catch (IOException | RuntimeException e) {
                visionWeights.completeExceptionally(e);
            }
        }, "vision-tower-hash");
        hashing.setDaemon(true);
        hashing.start();
        OrtSession visionSession = null;
        OrtSession textSession = null;
        try {
            visionSession = OrtSessions.open(environment, modelFiles.vision(), device, intraOpThreads, allowSpinning);
            VisionTower vision = new VisionTower(environment, visionSession);
            Optional<TextTower> text = Optional.empty();
            if (multilingual.isPresent()) {
                MultilingualFiles tower = multilingual.get();
                textSession = OrtSessions.open(environment, tower.model(), device, intraOpThreads, allowSpinning);
                text = Optional.of(new TextTower(environment, textSession,
                        context -> TokenizerJson.open(tower.tokenizer(), context), tower.name(), true));
            } else if (modelFiles.text().isPresent()) {
                ClipTokenizer tokenizer = tokenizerFor(modelFiles.dir());
                textSession = OrtSessions.open(environment, modelFiles.text().get(), device, intraOpThreads, allowSpinning);
                text = Optional.of(new TextTower(environment, textSession, context -> tokenizer, modelFiles.name(), false));
            }
            return new ClipModel(vision, text, device, modelFiles.name(), weightsOf(modelFiles.vision(), visionWeights));
        } catch (OrtException e) {
            OrtSessions.closeQuietly(textSession);
            OrtSessions.closeQuietly(visionSession);
            throw new ModelUnavailableException("ONNX Runtime could not load " + modelFiles.vision().getFileName()
                    + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            OrtSessions.closeQuietly(textSession);
            OrtSessions.closeQuietly(visionSession);
            throw e;
        }
    }

    private static String weightsOf(Path visionFile, CompletableFuture<String> hash) {
        try {
            return hash.join();
        } catch (CompletionException e) {
            throw new ModelUnavailableException("cannot read the vision tower " + visionFile + ": "
                    + e.getCause().getMessage(), e.getCause());
        }
    }

    private static ClipTokenizer tokenizerFor(Path dir) {
        try {
            return ClipTokenizer.forModelFolder(dir);
        } catch (UncheckedIOException | IllegalArgumentException e) {
            throw new ModelUnavailableException("the tokenizer files in '" + dir + "' cannot be used (" + e.getMessage()
                    + "); restore vocab.json and merges.txt from the export, or remove both to use CLIP's own vocabulary", e);
        }
    }

    /** Whether this ONNX Runtime build carries the CUDA execution provider. */
    public static boolean cudaProviderAvailable() {
        return OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA);
    }

    public VisionTower vision() {
        return vision;
    }

    /**
     * The text tower.
     *
     * @throws ModelUnavailableException when the model has none, saying how to get one
     */
    public TextTower text() {
        return text.orElseThrow(() -> new ModelUnavailableException("the model folder '" + name
                + "' has no text tower (text_model.onnx), so text search and text embeddings are unavailable; run "
                + "onnx-models/download.sh to fetch the complete export, or put text_model.onnx beside the vision "
                + "tower (see onnx-models/README.md). Image endpoints are not affected"));
    }

    public boolean hasTextTower() {
        return text.isPresent();
    }

    public int imageSize() {
        return vision.imageSize();
    }

    public int dimensions() {
        return vision.dimensions();
    }

    public Device device() {
        return device;
    }

    /** A human-readable model name (the model folder's name). */
    public String name() {
        return name;
    }

    /** The SHA-256 of the vision tower's file: it identifies the weights behind stored embeddings. */
    public String visionWeights() {
        return visionWeights;
    }

    @Override
    public void close() {
        text.ifPresent(TextTower::close);
        vision.close();
    }

    /**
     * A multilingual text tower with its own tokenizer, as Immich exports M-CLIP ({@code textual/model.onnx},
     * {@code textual/tokenizer.json}) or in one flat folder ({@code model.onnx}, {@code tokenizer.json}).
     */
    public record MultilingualFiles(String name, Path model, Path tokenizer) {

        public static Optional<MultilingualFiles> find(Path dir) {
            Path fileName = dir.toAbsolutePath().normalize().getFileName();
            String name = fileName == null ? "multilingual" : fileName.toString();
            for (Path folder : List.of(dir.resolve("textual"), dir)) {
                Path model = folder.resolve("model.onnx");
                Path tokenizer = folder.resolve("tokenizer.json");
                if (Files.isRegularFile(model) && Files.isRegularFile(tokenizer)) {
                    return Optional.of(new MultilingualFiles(name, model, tokenizer));
                }
            }
            return Optional.empty();
        }
    }

    /** Files of one model export; {@code dir} also holds the tokenizer's vocabulary, if it has its own. */
    public record ModelFiles(String name, Path dir, Path vision, Optional<Path> text) {

        /**
         * Finds the towers in {@code dir}: Hugging Face's {@code onnx/} layout or a flat folder.
         * The int8 variant uses the quantised vision tower; the text tower is always float.
         */
        public static Optional<ModelFiles> find(Path dir, String variant) {
            String visionName = "int8".equals(variant) ? "vision_model_quantized.onnx" : "vision_model.onnx";
            List<Path> visionCandidates = List.of(dir.resolve("onnx").resolve(visionName), dir.resolve(visionName),
                    dir.resolve("int8".equals(variant) ? "vision_quantized.onnx" : "vision.onnx"));
            Optional<Path> vision = visionCandidates.stream().filter(Files::isRegularFile).findFirst();
            if (vision.isEmpty()) {
                return Optional.empty();
            }
            Optional<Path> text = List.of(dir.resolve("onnx").resolve("text_model.onnx"), dir.resolve("text_model.onnx"),
                    dir.resolve("text.onnx")).stream().filter(Files::isRegularFile).findFirst();
            Path fileName = dir.toAbsolutePath().normalize().getFileName();
            String name = fileName == null ? "clip" : fileName.toString();
            return Optional.of(new ModelFiles(name, dir, vision.get(), text));
        }
    }
}
