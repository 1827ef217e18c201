package io.multimodalrag.clip;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Python's {@code html.unescape}, reproduced code point for code point because CLIP's reference
 * tokenizer runs every text through it twice. It replaces what Python's pattern
 * {@code &(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)} finds:
 * <ul>
 * <li>numeric references, with HTML5's rules: NUL, CR and 0x80–0x9F (read as Windows-1252) are
 * remapped, surrogates and numbers above U+10FFFF become U+FFFD, non-characters and most controls
 * vanish;</li>
 * <li>named references of HTML5, with or without the semicolon where HTML5 allows it
 * ({@code &amp}, {@code &ampx} → {@code &x}); otherwise the longest legacy name that starts the
 * reference ({@code &notit;} → {@code ¬it;}); otherwise the text stays as it is.</li>
 * </ul>
 * The tables come from Python's own {@code html} module (tools/make_html_entities.py).
 */
final class HtmlUnescaper {

    private static final String TABLES = "clip/html5-entities.tsv";
    /** Python's pattern reads at most 32 code points of a name. */
    private static final int MAX_NAME_CODE_POINTS = 32;
    /** Numbers above this all decode to U+FFFD; saturating here avoids overflow on long digit runs. */
    private static final int BEYOND_UNICODE = 0x110000;

    private static final class Holder {
        static final HtmlUnescaper INSTANCE = load();
    }

    private final Map<String, String> entities;
    private final Map<Integer, String> remapped;
    private final Set<Integer> dropped;

    private HtmlUnescaper(Map<String, String> entities, Map<Integer, String> remapped, Set<Integer> dropped) {
        this.entities = entities;
        this.remapped = remapped;
        this.dropped = dropped;
    }

    /** The one instance, its tables read from the classpath on first use. */
    static HtmlUnescaper instance() {
        return Holder.INSTANCE;
    }

    /** {@code text} with its character references replaced, as Python's {@code html.unescape} does. */
    String unescape(String text) {
        int ampersand = text.indexOf('&');
        if (ampersand < 0) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        int copied = 0;
        while (ampersand >= 0) {
            int end = replaceReference(text, ampersand, out, copied);
            if (end > ampersand) {
                copied = end;
                ampersand = text.indexOf('&', end);
            } else {
                ampersand = text.indexOf('&', ampersand + 1);
            }
        }
        return out.append(text, copied, text.length()).toString();
    }

    /**
     * Replaces the reference starting at {@code ampersand}, if Python's pattern matches there: copies
     * {@code text[copied, ampersand)} and the replacement to {@code out} and returns the end of the
     * match; returns {@code ampersand} and leaves {@code out} alone when nothing matches.
     */
    private int replaceReference(String text, int ampersand, StringBuilder out, int copied) {
        int length = text.length();
        int i = ampersand + 1;
        if (i >= length) {
            return ampersand;
        }
        if (text.charAt(i) == '#') {
            boolean hex = i + 1 < length && (text.charAt(i + 1) == 'x' || text.charAt(i + 1) == 'X');
            int digitsStart = hex ? i + 2 : i + 1;
            int digitsEnd = digitsStart;
            int number = 0;
            while (digitsEnd < length && digitValue(text.charAt(digitsEnd), hex) >= 0) {
                number = Math.min(BEYOND_UNICODE, number * (hex ? 16 : 10) + digitValue(text.charAt(digitsEnd), hex));
                digitsEnd++;
            }
            if (digitsEnd == digitsStart) {
                return ampersand; // "&#" or "&#x" without digits: no alternative of the pattern matches
            }
            int end = digitsEnd < length && text.charAt(digitsEnd) == ';' ? digitsEnd + 1 : digitsEnd;
            out.append(text, copied, ampersand);
            appendNumeric(number, out);
            return end;
        }
        int nameEnd = i;
        int codePoints = 0;
        while (nameEnd < length && codePoints < MAX_NAME_CODE_POINTS && isNameCharacter(text.charAt(nameEnd))) {
            nameEnd += Character.charCount(text.codePointAt(nameEnd));
            codePoints++;
        }
        if (codePoints == 0) {
            return ampersand;
        }
        int end = nameEnd < length && text.charAt(nameEnd) == ';' ? nameEnd + 1 : nameEnd;
        String name = text.substring(i, end);
        out.append(text, copied, ampersand);
        String value = entities.get(name);
        if (value != null) {
            out.append(value);
            return end;
        }
        // The longest name of at least two code points that starts the reference; only names
        // without a semicolon can match here, HTML5's legacy names.
        for (int prefix = name.codePointCount(0, name.length()) - 1; prefix >= 2; prefix--) {
            int prefixEnd = name.offsetByCodePoints(0, prefix);
            value = entities.get(name.substring(0, prefixEnd));
            if (value != null) {
                out.append(value).append(name, prefixEnd, name.length());
                return end;
            }
        }
        out.append('&').append(name);
        return end;
    }

    private void appendNumeric(int number, StringBuilder out) {
        String replacement = remapped.get(number);
        if (replacement != null) {
            out.append(replacement);
        } else if ((number >= 0xD800 && number <= 0xDFFF) || number > 0x10FFFF) {
            out.append('\uFFFD');
        } else if (!dropped.contains(number)) {
            out.appendCodePoint(number);
        }
    }

    /** The value of an ASCII digit ({@code [0-9]}, or {@code [0-9a-fA-F]} when hex), else -1. */
    private static int digitValue(char c, boolean hex) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (hex && c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (hex && c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    /** {@code [^\t\n\f <&#;]}: anything but these seven characters may be part of a name. */
    private static boolean isNameCharacter(char c) {
        return c != '\t' && c != '\n' && c != '\f' && c != ' ' && c != '<' && c != '&' && c != '#' && c != ';';
    }

    private static HtmlUnescaper load() {
        Map<String, String> entities = new HashMap<>(4096);
        Map<Integer, String> remapped = new HashMap<>();
        Set<Integer> dropped = new HashSet<>();
        try (InputStream in = HtmlUnescaper.class.getClassLoader().getResourceAsStream(TABLES)) {
            if (in == null) {
                throw new IllegalStateException(TABLES + " is missing from the classpath");
            }
            BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                String[] fields = line.split("\t");
                switch (fields[0]) {
                    case "entity" -> entities.put(fields[1], codePoints(fields[2]));
                    case "remap" -> remapped.put(Integer.parseInt(fields[1], 16), codePoints(fields[2]));
                    case "drop" -> dropped.add(Integer.parseInt(fields[1], 16));
                    default -> throw new IllegalStateException(TABLES + ": unknown record '" + fields[0] + "'");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + TABLES, e);
        }
        return new HtmlUnescaper(Map.copyOf(entities), Map.copyOf(remapped), Set.copyOf(dropped));
    }

    /** "41 301" → "A\u0301". */
    private static String codePoints(String hex) {
        StringBuilder text = new StringBuilder(2);
        for (String point : hex.split(" ")) {
            text.appendCodePoint(Integer.parseInt(point, 16));
        }
        return text.toString();
    }
}
