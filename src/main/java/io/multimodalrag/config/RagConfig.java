package io.multimodalrag.config;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Every setting of the service, under the {@code rag} prefix. Each key can be overridden by an
 * environment variable ({@code rag.model.dir} → {@code RAG_MODEL_DIR}); the README's table lists
 * them all with their defaults.
 */
@ConfigMapping(prefix = "rag")
public interface RagConfig {

    /** The CLIP model. */
    Model model();

    /** Uploaded images. */
    Image image();

    /** Uploads in general. */
    Upload upload();

    /** The knowledge base: images plus their descriptions. */
    KnowledgeBase knowledgeBase();

    /** The encoder worker pool. */
    Encoder encoder();

    /** The exact search of the knowledge base. */
    Search search();

    /** Administration: writes to the knowledge base. */
    Admin admin();

    /** Who may change the knowledge base. */
    interface Admin {
        /**
         * Bearer token that grants the admin role (adding, editing, deleting images, reloading).
         * Without one, writes answer 403 and the knowledge base is read-only. Never logged.
         */
        Optional<String> token();
    }

    /** Where the CLIP model lives and how ONNX Runtime runs it. */
    interface Model {
        /**
         * Folder holding the ONNX export: {@code vision_model.onnx} (and optionally
         * {@code text_model.onnx}), either directly or under {@code onnx/} as Hugging Face lays them
         * out.
         */
        @WithDefault("onnx-models/clip-vit-base-patch32")
        Path dir();

        /** {@code fp32} (float vision tower) or {@code int8} (dynamically quantised vision tower). */
        @WithDefault("fp32")
        String variant();

        /** {@code auto} (CUDA when the GPU build and a driver are present, else CPU), {@code cpu} or {@code cuda}. */
        @WithDefault("auto")
        String device();

        /** ONNX Runtime intra-op threads per session; default: the number of available cores. */
        OptionalInt intraOpThreads();

        /** Fetching the model when it is missing at start-up. */
        Download download();
    }

    /** The one download attempt made at start-up when the model folder is empty. */
    interface Download {
        /** Try to download the model once when it is missing. */
        @WithDefault("true")
        boolean enabled();

        /** Mirror to download from instead of huggingface.co (same layout as the Hub). */
        @WithName("base-url")
        Optional<URI> baseUrl();

        /** Hugging Face access token, for gated mirrors; never logged. */
        Optional<String> token();

        /** Timeout of each HTTP exchange (connect, and the gap between received bytes). */
        @WithDefault("60s")
        Duration timeout();
    }

    /** Decoding uploaded images. */
    interface Image {
        /** Largest accepted image, in pixels (width × height), checked from the header before decoding. */
        @WithDefault("50000000")
        long maxPixels();
    }

    /** Request bodies. */
    interface Upload {
        /** Longest accepted description of a knowledge-base image, in characters. */
        @WithDefault("4000")
        int maxDescriptionLength();

        /** Largest accepted upload; larger ones get 413. */
        @WithDefault("20M")
        MemorySize maxSize();
    }

    /** The knowledge base loaded at start-up. */
    interface KnowledgeBase {
        /** JSON Lines file, one {@code {"image_path": ..., "description": ...}} per line; paths relative to it. */
        @WithDefault("description.jsonl")
        Path descriptions();

        /** Folder, relative to the descriptions file's folder, where added images are stored. */
        @WithDefault("image_database")
        Path imagesDir();

        /** Folder of the embedding cache, keyed by model fingerprint and image content hash. */
        @WithDefault(".embedding-cache")
        Path cacheDir();

        /** Keep embeddings on disk so that a restart only embeds new or changed images. */
        @WithDefault("true")
        boolean cacheEnabled();
    }

    /** How the embedding matrix is scanned. */
    interface Search {
        /**
         * The most threads one search uses, its caller's included; default: the number of available cores. Only
         * large searches (over 1.5 million multiply-adds, such as 3,000 images of 512 dimensions) are split.
         */
        OptionalInt threads();
    }

    /** The worker pool that decodes, preprocesses and runs the model. */
    interface Encoder {
        /** Images per ONNX Runtime run when embedding the knowledge base. */
        @WithDefault("16")
        int maxBatch();

        /** Threads decoding and preprocessing images; default: the number of available cores. */
        OptionalInt workerThreads();

        /** Encode requests that may wait for a worker; beyond this the service answers 503. */
        @WithDefault("256")
        int queueSize();
    }
}
