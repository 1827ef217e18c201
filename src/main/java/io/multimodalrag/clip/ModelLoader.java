package io.multimodalrag.clip;

import io.multimodalrag.config.RagConfig;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Owns the one {@link ClipModel} of the service: finds it in {@code rag.model.dir}, downloads it
 * once when it is missing (and the multilingual text tower, from its pinned manifest), picks the
 * device, and remembers why loading failed so that readiness and the model endpoints can say so.
 * The service starts without a model; it just is not ready.
 */
@ApplicationScoped
public class ModelLoader {

    private static final Logger LOG = Logger.getLogger(ModelLoader.class);

    /**
     * A snapshot of the loader's state; {@code model} is present when READY. {@code summary} is the reason in a few
     * words (a status line's), {@code reason} the whole of it with what to do.
     */
    public record State(LoadStatus status, String summary, String reason, Optional<ClipModel> model) {
    }

    /** The model folder the tests use, in a clone of the repository: what to start with where nothing downloads. */
    static final Path TINY_MODEL = Path.of("src", "test", "resources", "clip-tiny");

    /**
     * A tower's files are not in their folder (after a download, when one was tried): {@code summary} says which in a
     * few words; {@code offline} whether starting with {@link #TINY_MODEL} instead is a way out.
     */
    private static final class FilesMissing extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final String summary;
        final boolean offline;

        FilesMissing(String summary, String message, boolean offline) {
            super(message);
            this.summary = summary;
            this.offline = offline;
        }
    }

    private final RagConfig.Model config;
    private volatile State state = new State(LoadStatus.LOADING, "the CLIP model is loading", "the CLIP model is loading",
            Optional.empty());

    public ModelLoader(RagConfig config) {
        this.config = config.model();
    }

    public State state() {
        return state;
    }

    /** The loaded model, or a {@link ModelUnavailableException} telling the client how to get one. */
    public ClipModel require() {
        State current = state;
        return current.model().orElseThrow(() -> new ModelUnavailableException(current.status() == LoadStatus.LOADING
                ? "the CLIP model is still loading; retry in a few seconds"
                : "the CLIP model is not loaded: " + current.reason()));
    }

    /** Loads the model; called once at start-up, off the event loop. Never throws. */
    public void load() {
        try {
            ClipModel model = open();
            String loaded = "loaded " + model.name() + " on " + model.device();
            state = new State(LoadStatus.READY, loaded, loaded, Optional.of(model));
            LOG.infof("CLIP model %s ready on %s: image size %d, %d dimensions, text tower %s", model.name(),
                    model.device(), model.imageSize(), model.dimensions(), model.hasTextTower()
                            ? model.text().name() + (model.text().multilingual() ? " (multilingual" : " (English only")
                                    + ", vocabulary: " + model.text().tokenizer().source() + ")"
                            : "absent (text search and text embeddings answer 503)");
            LOG.infof("image preprocessing: resampling kernel %s", ResampleKernel.fastestAvailable().description());
        } catch (ModelDownloadException e) {
            fail("the CLIP model could not be downloaded", e.getMessage(), true);
        } catch (FilesMissing e) {
            fail(e.summary, e.getMessage(), e.offline);
        } catch (ModelUnavailableException e) {
            fail("the CLIP model could not be opened", e.getMessage(), false);
        } catch (RuntimeException | LinkageError e) {
            // Native library problems surface as LinkageError; they must not stop the service.
            LOG.error("loading the CLIP model failed", e);
            fail("the CLIP model could not be loaded",
                    "loading failed (" + e.getClass().getSimpleName() + "); see the service log", false);
        }
    }

    /**
     * @param offline whether the model is simply not there (not downloaded, or no network): then, in a clone of the
     *     repository, the reason says how to start with the tiny test model instead
     */
    private void fail(String summary, String message, boolean offline) {
        String reason = message.endsWith(".") ? message.substring(0, message.length() - 1) : message;
        if (offline && Files.isDirectory(TINY_MODEL)) {
            reason += ". Offline, or to look around first: start with -Drag.model.dir=" + TINY_MODEL.toString().replace('\\', '/')
                    + " (RAG_MODEL_DIR), the tiny test model: no download, meaningless matches (see the README's first lines)";
            summary += " (offline? see the README's first lines)";
        }
        state = new State(LoadStatus.FAILED, summary, reason, Optional.empty());
        LOG.errorf("CLIP model unavailable: %s. Model endpoints answer 503 until it is fixed and the service restarted.",
                reason);
    }

    private ClipModel open() {
        Path dir = config.dir();
        String variant = config.variant().toLowerCase(Locale.ROOT);
        if (!variant.equals("fp32") && !variant.equals("int8")) {
            throw new ModelUnavailableException("rag.model.variant is '" + variant + "'; use fp32 or int8");
        }
        Optional<ClipModel.ModelFiles> files = ClipModel.ModelFiles.find(dir, variant);
        if (files.isEmpty() && config.download().enabled()) {
            LOG.infof("no %s CLIP model in %s; downloading it once", variant, dir);
            downloader(ModelDownloader.defaultManifest()).download(dir, variant);
            files = ClipModel.ModelFiles.find(dir, variant);
        }
        String visionFile = variant.equals("int8") ? "vision_model_quantized.onnx" : "vision_model.onnx";
        String script = variant.equals("int8") ? "onnx-models/download.sh --variant int8" : "onnx-models/download.sh";
        ClipModel.ModelFiles found = files.orElseThrow(() -> new FilesMissing("no CLIP model in " + dir, "no " + variant
                + " CLIP model in '" + dir + "'; run " + script + ", or point RAG_MODEL_DIR at a folder holding "
                + visionFile + " (see onnx-models/README.md)", true));
        int threads = config.intraOpThreads().orElse(Runtime.getRuntime().availableProcessors());
        return openOnDevice(found, multilingualTower(), threads);
    }

    /** The multilingual text tower when {@code rag.model.text-tower} asks for it; empty for CLIP's own. */
    private Optional<ClipModel.MultilingualFiles> multilingualTower() {
        String tower = config.textTower().toLowerCase(Locale.ROOT);
        if (tower.equals("clip")) {
            return Optional.empty();
        }
        if (!tower.equals("multilingual")) {
            throw new ModelUnavailableException("rag.model.text-tower is '" + tower + "'; use clip (the export's own,"
                    + " English) or multilingual (rag.model.text-dir)");
        }
        Path dir = config.textDir();
        Optional<ClipModel.MultilingualFiles> files = ClipModel.MultilingualFiles.find(dir);
        Optional<Path> manifest = config.download().textManifest();
        if (files.isEmpty() && config.download().enabled() && manifest.isPresent()) {
            LOG.infof("no multilingual text tower in %s; downloading it once as %s lists it", dir, manifest.get());
            Manifest pinned = readManifest(manifest.get());
            downloader(pinned).download(dir, pinned.defaultVariant());
            files = ClipModel.MultilingualFiles.find(dir);
        }
        // Not an offline hint: the tiny model has no multilingual tower to offer.
        return Optional.of(files.orElseThrow(() -> new FilesMissing("no multilingual text tower in " + dir,
                "rag.model.text-tower=multilingual but '" + dir + "' holds no textual/model.onnx with"
                        + " textual/tokenizer.json; run onnx-models/download.sh --multilingual (M-CLIP's"
                        + " XLM-Roberta-Large-Vit-B-32 as Immich exports it, see onnx-models/README.md), set"
                        + " rag.model.download.text-manifest to the pinned manifest it writes, or set"
                        + " rag.model.text-dir", false)));
    }

    private ModelDownloader downloader(Manifest manifest) {
        return new ModelDownloader(manifest, config.download().baseUrl().orElse(null), config.download().token(),
                config.download().timeout());
    }

    private static Manifest readManifest(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ModelDownloadException("rag.model.download.text-manifest: cannot read " + file + " ("
                    + e.getClass().getSimpleName() + ")");
        }
        try {
            return Manifest.parse(text, file.toString());
        } catch (IllegalArgumentException e) {
            throw new ModelDownloadException("rag.model.download.text-manifest: " + e.getMessage());
        }
    }

    private ClipModel openOnDevice(ClipModel.ModelFiles files, Optional<ClipModel.MultilingualFiles> text, int threads) {
        String device = config.device().toLowerCase(Locale.ROOT);
        switch (device) {
            case "cpu":
                LOG.info("running CLIP on the CPU (rag.model.device=cpu)");
                return ClipModel.open(files, text, ClipModel.Device.CPU, threads, config.allowSpinning());
            case "cuda":
                if (!ClipModel.cudaProviderAvailable()) {
                    throw new ModelUnavailableException("rag.model.device=cuda but this build of ONNX Runtime has no CUDA "
                            + "provider; build with -Pgpu or set rag.model.device=auto");
                }
                try {
                    return ClipModel.open(files, text, ClipModel.Device.CUDA, threads, config.allowSpinning());
                } catch (ModelUnavailableException e) {
                    CudaFallback why = CudaFallback.classify(e.getMessage(), HostGpu.probe());
                    throw new ModelUnavailableException("rag.model.device=cuda but CUDA is not usable (" + why.label()
                            + "): " + why.explanation() + ". " + e.getMessage(), e);
                }
            case "auto":
                if (!ClipModel.cudaProviderAvailable()) {
                    LOG.infof("running CLIP on the CPU: %s", CudaFallback.noGpuBuild().explanation());
                    return ClipModel.open(files, text, ClipModel.Device.CPU, threads, config.allowSpinning());
                }
                try {
                    ClipModel model = ClipModel.open(files, text, ClipModel.Device.CUDA, threads, config.allowSpinning());
                    LOG.info("running CLIP on CUDA (rag.model.device=auto found a GPU)");
                    return model;
                } catch (ModelUnavailableException e) {
                    // The GPU build on a machine without a usable GPU: say which of driver, device or
                    // libraries is missing, so that an operator who expected CUDA knows what to fix.
                    CudaFallback why = CudaFallback.classify(e.getMessage(), HostGpu.probe());
                    LOG.warnf("CUDA is not usable (%s), running CLIP on the CPU instead: %s. ONNX Runtime said: %s",
                            why.label(), why.explanation(), e.getMessage());
                    return ClipModel.open(files, text, ClipModel.Device.CPU, threads, config.allowSpinning());
                }
            default:
                throw new ModelUnavailableException("rag.model.device is '" + device + "'; use auto, cpu or cuda");
        }
    }

    @PreDestroy
    void close() {
        state.model().ifPresent(ClipModel::close);
    }
}
