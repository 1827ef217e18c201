package io.multimodalrag.config;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalDouble;
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

    /** The vision LLM behind /v1/ask (an OpenAI-compatible chat-completions API). */
    Llm llm();

    /** Questions answered from the knowledge base. */
    Ask ask();

    /** Texts sent to the text endpoints. */
    Text text();

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

        /**
         * Whether ONNX Runtime's intra-op threads spin-wait for work between operators and runs.
         * Spinning shaves a little latency off each operator but burns the cores that decoding
         * needs; off by default.
         */
        @WithDefault("false")
        boolean allowSpinning();

        /**
         * Which tower embeds text queries: {@code clip}, the export's own (English only), or {@code multilingual}, a
         * tower distilled onto the same vision tower, found in {@link #textDir()}. Images are embedded alike either
         * way, so switching re-embeds none.
         */
        @WithDefault("clip")
        String textTower();

        /**
         * Where the multilingual text tower lives: M-CLIP's XLM-Roberta-Large-Vit-B-32 as Immich exports it
         * ({@code textual/model.onnx}, {@code textual/tokenizer.json}), or any folder holding {@code model.onnx} and
         * {@code tokenizer.json} with that interface.
         */
        @WithDefault("onnx-models/XLM-Roberta-Large-Vit-B-32")
        Path textDir();

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

        /**
         * The multilingual text tower's pinned manifest (the {@code pinned.manifest.tsv} that
         * {@code onnx-models/download.sh --multilingual} writes): with {@code rag.model.text-tower=multilingual}, a
         * tower missing from {@code rag.model.text-dir} is downloaded from it at start-up, every file verified.
         */
        Optional<Path> textManifest();
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

        /**
         * Most bytes of upload bodies held in memory at once, until their answers are sent (queued for the
         * encoder included); an upload that would go over it gets 503 with Retry-After, before it is read when
         * it declares its length. They live on the heap, beside the images being decoded.
         */
        @WithDefault("128M")
        MemorySize maxBuffered();

        /**
         * How long a request body may take to arrive, extended by one second for every {@code min-rate} bytes
         * received: a body slower than that on average gets 408 and its connection is closed, so that no client holds
         * memory or a connection by trickling bytes. Counts from the end of the request's headers.
         */
        @WithDefault("20s")
        Duration bodyTimeout();

        /** The slowest average rate, in bytes per second, at which a request body keeps its time (see body-timeout). */
        @WithDefault("32K")
        MemorySize minRate();
    }

    /** The knowledge base loaded at start-up. */
    interface KnowledgeBase {
        /**
         * Where the knowledge base is kept: {@code files} (description.jsonl, the images beside it and the local
         * embedding cache; one instance) or {@code postgresql} (one database shared by every replica, configured by
         * the {@code quarkus.datasource.*} keys).
         */
        @WithDefault("files")
        Store store();

        /** The knowledge base's stores. */
        enum Store {
            FILES, POSTGRESQL
        }

        /**
         * With the postgresql store: a description.jsonl whose entries and images are imported when the database
         * holds no entries yet (at start-up), or on {@code POST /v1/admin/import}. An import adds nothing twice.
         */
        Optional<Path> importFrom();

        /**
         * With the postgresql store: how often a replica looks for changes it was not notified of (a notification
         * lost with a connection); notified changes are applied at once.
         */
        @WithDefault("5s")
        Duration pollInterval();

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

        /**
         * How often a start-up load that found the descriptions file absent, unreadable or emptied by accident is
         * tried again; until one succeeds the knowledge base is not ready and says why.
         */
        @WithDefault("10s")
        Duration retryInterval();
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
        /**
         * Inputs per ONNX Runtime run: concurrent image requests coalesced into one run, images
         * when embedding the knowledge base, texts of one text-embedding request.
         */
        @WithDefault("16")
        int maxBatch();

        /**
         * How long a batch of concurrent image requests may wait for more requests before it runs
         * (e.g. {@code 2ms}; a bare number means seconds). Only under concurrent load: a request
         * arriving alone never waits. Decoding usually takes longer than this, so it rarely binds.
         */
        @WithDefault("2ms")
        Duration maxWait();

        /** Threads decoding, preprocessing and embedding images and texts; default: the number of available cores. */
        OptionalInt workerThreads();

        /**
         * Encode requests that may wait for a worker, and image requests that may wait for a batch
         * beyond the one being filled; beyond this the service answers 503.
         */
        @WithDefault("256")
        int queueSize();
    }

    /**
     * The vision LLM, reached through the REST client {@code vision-llm}; its base URL is the
     * client's own key {@code quarkus.rest-client.vision-llm.url}.
     */
    interface Llm {
        /**
         * Bearer token sent to the chat-completions API (env {@code RAG_LLM_API_KEY}). Without it
         * /v1/ask answers 503 and everything else keeps working. Never logged, never in a response.
         * Local servers that ignore it (Ollama, vLLM) still need some value, e.g. {@code ollama}.
         */
        Optional<String> apiKey();

        /** The model named in every chat request: {@code gpt-4o}, {@code llama3.2-vision}, ... */
        @WithDefault("gpt-4o")
        String model();

        /** Upper bound on the tokens of one answer, sent as {@link #maxTokensField()} says. */
        @WithDefault("300")
        int maxTokens();

        /**
         * The request field that carries {@link #maxTokens()}: {@code max_completion_tokens}, as OpenAI asks for it
         * (its newer models refuse {@code max_tokens}; vLLM and Ollama accept it too), or {@code max_tokens} for
         * servers that know only the deprecated name.
         */
        @WithDefault("max_completion_tokens")
        String maxTokensField();

        /**
         * The system message of every question; unset, {@code PromptBuilder.DEFAULT_SYSTEM_PROMPT} (see the README).
         * Whatever it says, the user's message ends by telling the model to answer in the question's language.
         */
        Optional<String> systemPrompt();

        /** Sampling temperature; when unset the request leaves it out and the server's default applies. */
        OptionalDouble temperature();

        /** How long to wait for the TCP (and TLS) connection to the LLM. */
        @WithDefault("10s")
        Duration connectTimeout();

        /** Longest silence while waiting for the answer, or between two streamed pieces of it. */
        @WithDefault("60s")
        Duration readTimeout();

        /**
         * Images sent to the LLM are downscaled so that their longer side is at most this many
         * pixels, which bounds the request size and the tokens the images cost.
         */
        @WithDefault("1024")
        int imageMaxSide();

        /**
         * Knowledge-base images kept ready for prompts (read, downscaled and encoded once, then reused by every question
         * they ground), by content, up to this many characters of data URL (about as many bytes of heap); the least
         * recently used go first. Questions whose references are kept need no image from the store. 0 keeps none.
         */
        @WithDefault("64M")
        MemorySize promptImageCacheSize();

        /** Retries after a 429 or 5xx answer (so at most this + 1 calls per question); 0 disables retrying. */
        @WithDefault("2")
        int maxRetries();

        /** The wait before the first retry when the LLM sends no Retry-After; doubled for each further retry. */
        @WithDefault("1s")
        Duration retryBackoff();

        /**
         * The most time spent waiting between attempts for one question, all retries together. A
         * Retry-After beyond what is left ends the retries at once: the client gets 503 with that
         * Retry-After instead of a request held open.
         */
        @WithDefault("20s")
        Duration retryMaxWait();

        /**
         * The most time one question may take from its arrival to the answer's last piece, retries, waits and a slow
         * stream included: past it the client gets 504 (or, streaming, an {@code error} event) and the upstream call is
         * cancelled. The read timeout bounds silence only, so this is what bounds an upstream that writes slowly.
         */
        @WithDefault("120s")
        Duration totalTimeout();

        /**
         * The longest answer taken from the LLM, in characters; a longer one is cut off there and answered 502 (or an
         * {@code error} event after what was streamed). {@code max-tokens} asks the model for less; this holds when a
         * server ignores it.
         */
        @WithDefault("20000")
        int maxAnswerLength();
    }

    /** How /v1/ask treats retrieval. */
    interface Ask {
        /**
         * Refuse with 404 when no knowledge-base image scores at least {@code minScore}; when false
         * the LLM is still asked and told that no reference was found.
         */
        @WithDefault("false")
        boolean requireMatch();
    }

    /** Limits on the texts of POST /v1/search/text and POST /v1/embeddings/text. */
    interface Text {
        /**
         * Longest accepted text in characters (Unicode code points); a longer one gets 400. CLIP reads
         * at most 77 tokens (roughly 50 English words) and drops the rest, so this only refuses texts
         * that could never be read whole, before any work is spent on them.
         */
        @WithDefault("1000")
        int maxLength();

        /** Most texts in one text-embedding request; more get 400. */
        @WithDefault("64")
        int maxInputs();

        /**
         * Largest accepted body of a JSON request (text search, text embeddings, description updates); larger ones get
         * 413 before they are read. The default holds 64 texts of 1,000 characters even written as \\u escapes.
         */
        @WithDefault("512K")
        MemorySize maxBodySize();

        /**
         * Most bytes of JSON bodies held in memory at once, until their answers are sent; a body that would go over it
         * gets 503 with Retry-After. Parsed, a body takes a few times its size on the heap.
         */
        @WithDefault("32M")
        MemorySize maxBuffered();
    }
}
