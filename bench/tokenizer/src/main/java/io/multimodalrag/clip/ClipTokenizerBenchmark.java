package io.multimodalrag.clip;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Tokenizer throughput on short search queries, one thread: the text endpoints' work before the
 * text tower runs. {@code cachedWords} is the service's steady state (the words of past queries are
 * cached); {@code everyWordNew} turns the cache off, so every word is merged from its bytes, as on
 * a query of words never seen before.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@Threads(1)
@State(Scope.Thread)
public class ClipTokenizerBenchmark {

    /** Queries a user might type about the demo knowledge base, 2 to 9 words. */
    private static final String[] QUERIES = {
        "battery generator",
        "a red motorcycle in a garage",
        "What is the capacity of this item?",
        "DELTA Pro Ultra Whole House Battery Generator",
        "a photo of a cat",
        "tabby cat close-up",
        "espresso in a white porcelain cup",
        "rocket on the launch pad at dusk",
        "astronaut in an orange suit",
        "deep field galaxies",
        "black and white photo of a cameraman",
        "ancient Greek coins",
        "horse silhouette",
        "Chinese pagoda with red columns",
        "orange dahlia flower",
        "raccoon face",
        "world map from satellite images",
        "red steel gas cylinder",
        "cement mixer",
        "garbage truck side view",
        "light bulb",
        "stethoscope on a white background",
        "muddy tractor wheel",
        "djembe drum and wine",
        "half a fig in a red bowl",
        "used paintbrushes",
        "two dogs on a deck",
        "round wall clock",
        "mountains in northern Spain",
        "dandelion seed heads at sunset",
        "ladybird on grass",
        "water drop splash",
    };

    private ClipTokenizer cached;
    private ClipTokenizer uncached;
    private int next;

    @Setup
    public void setUp() {
        cached = ClipTokenizer.bundled();
        uncached = cached.withCacheCapacity(0);
    }

    private String nextQuery() {
        String query = QUERIES[next];
        next = next + 1 == QUERIES.length ? 0 : next + 1;
        return query;
    }

    @Benchmark
    public TokenizedText cachedWords() {
        return cached.tokenize(nextQuery(), 77);
    }

    @Benchmark
    public TokenizedText everyWordNew() {
        return uncached.tokenize(nextQuery(), 77);
    }
}
