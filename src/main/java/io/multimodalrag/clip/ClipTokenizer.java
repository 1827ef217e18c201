package io.multimodalrag.clip;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import org.jsoup.parser.Parser;

/**
 * CLIP's byte-level BPE tokenizer, giving the same ids as the reference ({@code simple_tokenizer.py}
 * of openai/CLIP through {@code clip.tokenize(text, truncate=True)}):
 * <ol>
 * <li>clean: Unicode NFC (where the reference runs {@code ftfy.fix_text}; see below), HTML-unescape
 * twice (jsoup's HTML5 character references, where the reference uses Python's {@code html.unescape}),
 * strip, lower case;</li>
 * <li>split with the reference pattern
 * {@code <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+}
 * (Unicode classes; the text is lower case by then), scanned by hand: {@link java.util.regex.Pattern}
 * with the same flags gives the same pieces on the golden texts but made tokenizing 2.5 to 5 times
 * slower (docs/BENCHMARKS.md, tokenizer throughput);</li>
 * <li>map each piece's UTF-8 bytes to CLIP's printable byte characters, mark the end of the word
 * ({@code </w>}) and apply the BPE merges, lowest rank first;</li>
 * <li>frame with {@code <|startoftext|>} (49406) and {@code <|endoftext|>} (49407), keep at most the
 * context length (the end token stays last) and pad.</li>
 * </ol>
 * The vocabulary is CLIP's BPE file ({@code bpe_simple_vocab_16e6.txt.gz}, bundled) or a Hugging Face
 * export's {@code vocab.json} + {@code merges.txt}. Padding follows the source: 0 for CLIP's file, as
 * {@code clip.tokenize} pads; {@code <|endoftext|>} for a Hugging Face export, as its tokenizer pads.
 * The attention mask comes from {@link TokenizedText#length()}, never from the padding value.
 *
 * <p>Where it differs from the reference, on no text of the golden ids (golden/README.md) and kept
 * so because the ids do not need more: {@code ftfy.fix_text} (mojibake repair, quote uncurling,
 * ligature and width folding) is replaced by NFC, which is what the golden ids were made with;
 * numeric character references follow jsoup, not Python, where HTML5 calls them errors
 * ({@code &#0;} is U+0000, a surrogate's number is that lone surrogate, controls and non-characters
 * are kept rather than dropped);
 * lower case is Java's, which makes a capital sigma final by word boundaries where Python looks at
 * cased letters; U+017F (long s) is a letter only, where the reference's case-insensitive pattern
 * also reads it as the {@code s} of {@code 's} and {@code <|startoftext|>}; U+0345 counts as a
 * symbol; lone UTF-16 surrogates, on which the reference fails, are encoded as {@code ?}. Unicode
 * properties come from the running JDK's tables.
 *
 * <p>Thread-safe: the tables are immutable; each word's merges are cached in a bounded map.
 */
public final class ClipTokenizer implements TextTokenizer {

    /** CLIP's BPE file, also bundled on the classpath under {@code clip/}. */
    public static final String BPE_FILE = "bpe_simple_vocab_16e6.txt.gz";
    private static final String START = "<|startoftext|>";
    private static final String END = "<|endoftext|>";
    private static final String END_OF_WORD = "</w>";
    /** The reference reads merges 1 to 48,894 of the file: {@code merges[1:49152-256-2+1]}. */
    private static final int MERGES = 49152 - 256 - 2;
    /** Words remembered with their merges; the cache is emptied when it reaches this size. */
    private static final int DEFAULT_CACHE_CAPACITY = 50_000;
    /** Compiled once: String.split would compile it again for each of the 48,894 merge lines. */
    private static final Pattern WHITESPACE = Pattern.compile("\\s+");
    /** Longer pieces (runs of one letter, pasted junk) are merged every time rather than cached. */
    private static final int MAX_CACHED_WORD_CHARS = 64;

    private static final class Bundled {
        static final ClipTokenizer INSTANCE = readBundled();
    }

    private final int[] byteSymbol;
    private final int[] byteSymbolEndOfWord;
    private final MergeTable merges;
    private final int startId;
    private final int endId;
    private final int padId;
    private final String source;
    private final int cacheCapacity;
    private final Map<String, int[]> cache;

    private ClipTokenizer(int[] byteSymbol, int[] byteSymbolEndOfWord, MergeTable merges, int startId, int endId,
            int padId, String source, int cacheCapacity) {
        this.byteSymbol = byteSymbol;
        this.byteSymbolEndOfWord = byteSymbolEndOfWord;
        this.merges = merges;
        this.startId = startId;
        this.endId = endId;
        this.padId = padId;
        this.source = source;
        this.cacheCapacity = cacheCapacity;
        this.cache = new ConcurrentHashMap<>(Math.min(cacheCapacity, 1024));
    }

    /**
     * The tokenizer for the model in {@code dir}: its {@code vocab.json} + {@code merges.txt} (a
     * Hugging Face export), else its {@value #BPE_FILE}, else the bundled copy of CLIP's BPE file.
     *
     * @throws UncheckedIOException     when a vocabulary file cannot be read
     * @throws IllegalArgumentException when a vocabulary file is malformed
     */
    public static ClipTokenizer forModelFolder(Path dir) {
        Path vocab = dir.resolve("vocab.json");
        Path mergesFile = dir.resolve("merges.txt");
        if (Files.isRegularFile(vocab) && Files.isRegularFile(mergesFile)) {
            return fromHuggingFace(vocab, mergesFile);
        }
        Path bpe = dir.resolve(BPE_FILE);
        if (Files.isRegularFile(bpe)) {
            try (InputStream in = Files.newInputStream(bpe)) {
                return fromBpeFile(in, bpe.toString());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + bpe, e);
            }
        }
        return bundled();
    }

    /** CLIP's own vocabulary, read once from the classpath and shared. */
    public static ClipTokenizer bundled() {
        return Bundled.INSTANCE;
    }

    private static ClipTokenizer readBundled() {
        try (InputStream in = ClipTokenizer.class.getClassLoader().getResourceAsStream("clip/" + BPE_FILE)) {
            if (in == null) {
                throw new IllegalStateException("clip/" + BPE_FILE + " is missing from the classpath");
            }
            return fromBpeFile(in, BPE_FILE + " (bundled)");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the bundled " + BPE_FILE, e);
        }
    }

    /** A tokenizer over CLIP's gzipped BPE file, built as the reference builds its vocabulary. */
    static ClipTokenizer fromBpeFile(InputStream gzipped, String source) throws IOException {
        List<String[]> mergeList = new ArrayList<>(MERGES);
        BufferedReader lines = new BufferedReader(new InputStreamReader(new GZIPInputStream(gzipped),
                StandardCharsets.UTF_8));
        lines.readLine(); // the version header
        for (String line = lines.readLine(); line != null && mergeList.size() < MERGES; line = lines.readLine()) {
            mergeList.add(mergePair(line, source));
        }
        // The reference's vocabulary: the 256 byte characters, the same with </w>, one symbol per
        // merge, then the two special tokens; a later duplicate wins, as in Python's dict(zip(...)).
        char[] byteChars = byteCharacters();
        int[] order = byteOrder();
        List<String> vocabulary = new ArrayList<>(2 * 256 + mergeList.size() + 2);
        for (int b : order) {
            vocabulary.add(String.valueOf(byteChars[b]));
        }
        for (int b : order) {
            vocabulary.add(byteChars[b] + END_OF_WORD);
        }
        for (String[] merge : mergeList) {
            vocabulary.add(merge[0] + merge[1]);
        }
        vocabulary.add(START);
        vocabulary.add(END);
        Map<String, Integer> encoder = new HashMap<>(vocabulary.size() * 2);
        for (int id = 0; id < vocabulary.size(); id++) {
            encoder.put(vocabulary.get(id), id);
        }
        return build(encoder, mergeList, false, source);
    }

    /** A tokenizer over a Hugging Face export's {@code vocab.json} and {@code merges.txt}. */
    static ClipTokenizer fromHuggingFace(Path vocabJson, Path mergesTxt) {
        Map<String, Integer> encoder;
        List<String> lines;
        try {
            encoder = new ObjectMapper().readValue(vocabJson.toFile(), new TypeReference<Map<String, Integer>>() {
            });
            // As Hugging Face's CLIPTokenizer reads it: stripped, first line (the version) skipped.
            lines = Arrays.asList(Files.readString(mergesTxt, StandardCharsets.UTF_8).strip().split("\n"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + vocabJson.getFileName() + " / " + mergesTxt.getFileName()
                    + ": " + e.getMessage(), e);
        }
        List<String[]> mergeList = new ArrayList<>(MERGES);
        for (String line : lines.subList(Math.min(1, lines.size()), Math.min(lines.size(), MERGES + 1))) {
            mergeList.add(mergePair(line, mergesTxt.toString()));
        }
        return build(encoder, mergeList, true, vocabJson.getFileName() + " + " + mergesTxt.getFileName() + " in "
                + vocabJson.toAbsolutePath().getParent());
    }

    private static String[] mergePair(String line, String source) {
        String[] pair = WHITESPACE.split(line.strip());
        if (pair.length != 2) {
            throw new IllegalArgumentException(source + ": a merge is two symbols separated by a space, got '"
                    + (line.length() > 40 ? line.substring(0, 40) + "…" : line) + "'");
        }
        return pair;
    }

    private static ClipTokenizer build(Map<String, Integer> encoder, List<String[]> mergeList, boolean padWithEnd,
            String source) {
        char[] byteChars = byteCharacters();
        int[] byteSymbol = new int[256];
        int[] byteSymbolEndOfWord = new int[256];
        for (int b = 0; b < 256; b++) {
            byteSymbol[b] = required(encoder, String.valueOf(byteChars[b]), source);
            byteSymbolEndOfWord[b] = required(encoder, byteChars[b] + END_OF_WORD, source);
        }
        MergeTable table = new MergeTable(mergeList.size());
        for (int rank = 0; rank < mergeList.size(); rank++) {
            String[] merge = mergeList.get(rank);
            Integer first = encoder.get(merge[0]);
            Integer second = encoder.get(merge[1]);
            if (first == null || second == null) {
                continue; // a symbol outside the vocabulary never appears in a word, so neither does this pair
            }
            table.put(first, second, rank, required(encoder, merge[0] + merge[1], source));
        }
        int endId = required(encoder, END, source);
        return new ClipTokenizer(byteSymbol, byteSymbolEndOfWord, table, required(encoder, START, source), endId,
                padWithEnd ? endId : 0, source, DEFAULT_CACHE_CAPACITY);
    }

    private static int required(Map<String, Integer> encoder, String symbol, String source) {
        Integer id = encoder.get(symbol);
        if (id == null) {
            throw new IllegalArgumentException(source + ": the vocabulary has no symbol '" + symbol + "'");
        }
        return id;
    }

    /** The same vocabulary with its own cache of {@code capacity} words (0: none), for measurements. */
    ClipTokenizer withCacheCapacity(int capacity) {
        return new ClipTokenizer(byteSymbol, byteSymbolEndOfWord, merges, startId, endId, padId, source, capacity);
    }

    /** Where the vocabulary came from, for the log. */
    @Override
    public String source() {
        return source;
    }

    /** The id that fills the positions after the end token. */
    public int padId() {
        return padId;
    }

    /**
     * Tokenizes one text into exactly {@code contextLength} ids: start token, the text's tokens (as
     * many as fit), end token, padding.
     */
    @Override
    public TokenizedText tokenize(String text, int contextLength) {
        if (contextLength < 2) {
            throw new IllegalArgumentException("the context must hold at least the start and end tokens");
        }
        long[] ids = new long[contextLength];
        ids[0] = startId;
        int count = 1;
        int endPosition = contextLength - 1;
        String cleaned = clean(text);
        int length = cleaned.length();
        int i = 0;
        // Stop once the text tokens fill the context: later pieces cannot change earlier ones.
        while (i < length && count < endPosition) {
            int codePoint = cleaned.codePointAt(i);
            // The pattern's alternatives in order: special tokens and contractions first.
            int end = codePoint == '<' ? special(cleaned, i) : codePoint == '\'' ? contraction(cleaned, i) : i;
            if (end > i) {
                String piece = cleaned.substring(i, end);
                if (piece.equals(START)) {
                    ids[count++] = startId;
                } else if (piece.equals(END)) {
                    ids[count++] = endId;
                } else {
                    count = append(bpe(piece), ids, count, endPosition);
                }
                i = end;
                continue;
            }
            int kind = kind(codePoint);
            end = i + Character.charCount(codePoint);
            if (kind == LETTER || kind == OTHER) {
                while (end < length && kind(cleaned.codePointAt(end)) == kind) {
                    end += Character.charCount(cleaned.codePointAt(end));
                }
            }
            if (kind != SKIPPED) {
                count = append(bpe(cleaned.substring(i, end)), ids, count, endPosition);
            }
            i = end;
        }
        ids[count++] = endId;
        if (padId != 0) {
            Arrays.fill(ids, count, contextLength, padId);
        }
        return new TokenizedText(ids, count);
    }

    private static int append(int[] symbols, long[] ids, int count, int endPosition) {
        int n = Math.min(symbols.length, endPosition - count);
        for (int k = 0; k < n; k++) {
            ids[count + k] = symbols[k];
        }
        return count + n;
    }

    // ------------------------------------------------------------------------------------ cleaning

    /**
     * The reference's {@code whitespace_clean(basic_clean(text)).lower()} with NFC for
     * {@code ftfy.fix_text}. Collapsing whitespace runs is left out: the split skips whitespace, so
     * only the ends matter, and {@link String#strip()} removes there what Python's {@code strip}
     * does (whitespace, and U+001C–U+001F, which are not {@code \s} and so are tokens inside a text).
     */
    static String clean(String text) {
        String cleaned = nfc(text);
        if (cleaned.indexOf('&') >= 0) {
            cleaned = Parser.unescapeEntities(Parser.unescapeEntities(cleaned, false), false);
        }
        return cleaned.strip().toLowerCase(Locale.ROOT);
    }

    /**
     * Skips Normalizer for the common text: {@code Normalizer.normalize} took 40–90 ns on an ASCII
     * query, where tokenizing a whole query from the cache takes about 210 ns (docs/BENCHMARKS.md).
     */
    private static String nfc(String text) {
        for (int i = 0; i < text.length(); i++) {
            // Below U+0300 every character is its own NFC and combines with nothing before it.
            if (text.charAt(i) >= '\u0300') {
                return Normalizer.normalize(text, Normalizer.Form.NFC);
            }
        }
        return text;
    }

    /** The {@code regex} module's {@code \s}: Unicode's White_Space property. */
    private static boolean isWhiteSpace(int c) {
        return (c >= '\t' && c <= '\r') || c == '\u0085' || Character.isSpaceChar(c);
    }

    // ------------------------------------------------------------------------------- pre-tokenising

    private static final int LETTER = 0;
    private static final int NUMBER = 1;
    private static final int OTHER = 2;
    /** Matched by no alternative of the pattern, so {@code findall} passes over it. */
    private static final int SKIPPED = 3;
    private static final byte[] ASCII_KINDS = asciiKinds();
    private static final String[] SPECIALS = {START, END};
    /** What may follow the apostrophe in {@code 's|'t|'re|'ve|'m|'ll|'d}. */
    private static final String[] CONTRACTIONS = {"s", "t", "re", "ve", "m", "ll", "d"};

    /** Which alternative of the pattern a code point belongs to: {@code [\p{L}]}, {@code [\p{N}]}, the rest. */
    private static int kind(int codePoint) {
        if (codePoint < 128) {
            return ASCII_KINDS[codePoint];
        }
        if (isWhiteSpace(codePoint)) {
            return SKIPPED;
        }
        if (Character.isLetter(codePoint)) {
            return LETTER;
        }
        return switch (Character.getType(codePoint)) {
            case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER -> NUMBER;
            default -> OTHER;
        };
    }

    private static byte[] asciiKinds() {
        byte[] kinds = new byte[128];
        for (int c = 0; c < 128; c++) {
            kinds[c] = (byte) (isWhiteSpace(c) ? SKIPPED
                    : Character.isLetter(c) ? LETTER : Character.isDigit(c) ? NUMBER : OTHER);
        }
        return kinds;
    }

    /** The end of {@code <|startoftext|>} or {@code <|endoftext|>} at {@code i}, or {@code i}. */
    private static int special(String text, int i) {
        for (String special : SPECIALS) {
            if (text.startsWith(special, i)) {
                return i + special.length();
            }
        }
        return i;
    }

    /** The end of {@code 's|'t|'re|'ve|'m|'ll|'d} at {@code i} (an apostrophe), or {@code i}. */
    private static int contraction(String text, int i) {
        for (String suffix : CONTRACTIONS) {
            if (text.startsWith(suffix, i + 1)) {
                return i + 1 + suffix.length();
            }
        }
        return i;
    }

    // ------------------------------------------------------------------------------------------ BPE

    /** The ids of one piece after the merges, from the cache when the piece was seen before. */
    private int[] bpe(String piece) {
        int[] symbols = cache.get(piece);
        if (symbols != null) {
            return symbols;
        }
        symbols = merge(piece);
        if (cacheCapacity > 0 && piece.length() <= MAX_CACHED_WORD_CHARS) {
            if (cache.size() >= cacheCapacity) {
                cache.clear(); // cheaper than tracking use; the words that matter come back at once
            }
            cache.put(piece, symbols);
        }
        return symbols;
    }

    /** The reference's {@code bpe}: merge the adjacent pair of lowest rank, everywhere, until none is left. */
    private int[] merge(String piece) {
        byte[] bytes = piece.getBytes(StandardCharsets.UTF_8);
        int length = bytes.length;
        int[] symbols = new int[length];
        for (int k = 0; k < length - 1; k++) {
            symbols[k] = byteSymbol[bytes[k] & 0xFF];
        }
        symbols[length - 1] = byteSymbolEndOfWord[bytes[length - 1] & 0xFF];
        while (length > 1) {
            int bestSlot = -1;
            int bestRank = Integer.MAX_VALUE;
            for (int k = 0; k < length - 1; k++) {
                int slot = merges.find(symbols[k], symbols[k + 1]);
                if (slot >= 0 && merges.rank(slot) < bestRank) {
                    bestRank = merges.rank(slot);
                    bestSlot = slot;
                }
            }
            if (bestSlot < 0) {
                break;
            }
            int first = merges.first(bestSlot);
            int second = merges.second(bestSlot);
            int merged = merges.merged(bestSlot);
            int written = 0;
            for (int k = 0; k < length; k++) {
                if (k < length - 1 && symbols[k] == first && symbols[k + 1] == second) {
                    symbols[written++] = merged;
                    k++;
                } else {
                    symbols[written++] = symbols[k];
                }
            }
            length = written;
        }
        return length == symbols.length ? symbols : Arrays.copyOf(symbols, length);
    }

    /** Words in the cache, for tests. */
    int cachedWords() {
        return cache.size();
    }

    /**
     * GPT-2's reversible map of bytes to printable characters ({@code bytes_to_unicode}): printable
     * Latin-1 bytes stand for themselves, the others for U+0100 onwards in byte order.
     */
    private static char[] byteCharacters() {
        char[] chars = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++) {
            chars[b] = isPrintableByte(b) ? (char) b : (char) next++;
        }
        return chars;
    }

    /** The reference's byte order: the printable bytes first, then the rest, each group ascending. */
    private static int[] byteOrder() {
        int[] order = new int[256];
        int n = 0;
        for (int b = 0; b < 256; b++) {
            if (isPrintableByte(b)) {
                order[n++] = b;
            }
        }
        for (int b = 0; b < 256; b++) {
            if (!isPrintableByte(b)) {
                order[n++] = b;
            }
        }
        return order;
    }

    private static boolean isPrintableByte(int b) {
        return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    }

    /** Merge rules by pair of symbol ids, in an open-addressing table: no boxing on the hot path. */
    private static final class MergeTable {
        private final long[] keys;
        private final int[] ranks;
        private final int[] mergedIds;
        private final int mask;

        MergeTable(int expected) {
            int capacity = Integer.highestOneBit(Math.max(4, expected * 2 - 1)) << 1;
            keys = new long[capacity];
            Arrays.fill(keys, -1L); // ids are never negative, so no key is -1
            ranks = new int[capacity];
            mergedIds = new int[capacity];
            mask = capacity - 1;
        }

        /** Adds a rule; a pair seen again takes the later rank, as the reference's dict does. */
        void put(int first, int second, int rank, int merged) {
            long key = key(first, second);
            int slot = slot(key);
            while (keys[slot] != -1L && keys[slot] != key) {
                slot = (slot + 1) & mask;
            }
            keys[slot] = key;
            ranks[slot] = rank;
            mergedIds[slot] = merged;
        }

        /** The slot of the rule for this pair, or -1. */
        int find(int first, int second) {
            long key = key(first, second);
            int slot = slot(key);
            while (keys[slot] != -1L) {
                if (keys[slot] == key) {
                    return slot;
                }
                slot = (slot + 1) & mask;
            }
            return -1;
        }

        int rank(int slot) {
            return ranks[slot];
        }

        int first(int slot) {
            return (int) (keys[slot] >>> 32);
        }

        int second(int slot) {
            return (int) keys[slot];
        }

        int merged(int slot) {
            return mergedIds[slot];
        }

        private static long key(int first, int second) {
            return ((long) first << 32) | (second & 0xFFFFFFFFL);
        }

        private int slot(long key) {
            return (int) ((key * 0x9E3779B97F4A7C15L) >>> 40) & mask;
        }
    }
}
