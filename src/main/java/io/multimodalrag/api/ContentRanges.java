package io.multimodalrag.api;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The parts of RFC 9110 that image downloads need: {@code If-None-Match} against one entity tag, and a single byte
 * range ({@code bytes=first-last}, {@code bytes=first-}, {@code bytes=-suffix}). A header that is not one of those
 * (several ranges, another unit, a syntax error) is ignored, which the RFC allows: the whole image is sent.
 */
final class ContentRanges {

    private static final Pattern SINGLE = Pattern.compile("bytes=(\\d{0,18})-(\\d{0,18})");

    /** A range of a representation; {@code unsatisfiable} when it starts past the end (416). */
    record Range(long first, long last, boolean unsatisfiable) {
        long length() {
            return last - first + 1;
        }
    }

    private ContentRanges() {
    }

    /** Whether an If-None-Match value ({@code *}, or a list of tags, weak or strong) names {@code etag}. */
    static boolean matchesAny(String header, String etag) {
        for (String tag : header.split(",")) {
            String candidate = tag.strip();
            if (candidate.equals("*")) {
                return true;
            }
            if (candidate.startsWith("W/")) {
                candidate = candidate.substring(2); // weak comparison: If-None-Match compares weakly
            }
            if (candidate.equals(etag)) {
                return true;
            }
        }
        return false;
    }

    /** The one byte range a Range header asks of a representation of {@code length} bytes; empty to send it whole. */
    static Optional<Range> single(String header, long length) {
        Matcher matcher = SINGLE.matcher(header.strip());
        if (!matcher.matches() || matcher.group(1).isEmpty() && matcher.group(2).isEmpty()) {
            return Optional.empty();
        }
        if (matcher.group(1).isEmpty()) {
            long suffix = Long.parseLong(matcher.group(2));
            if (suffix == 0) {
                return Optional.of(new Range(0, 0, true));
            }
            return Optional.of(new Range(Math.max(0, length - suffix), length - 1, length == 0));
        }
        long first = Long.parseLong(matcher.group(1));
        if (!matcher.group(2).isEmpty() && Long.parseLong(matcher.group(2)) < first) {
            return Optional.empty(); // invalid: ignored
        }
        if (first >= length) {
            return Optional.of(new Range(0, 0, true));
        }
        long last = matcher.group(2).isEmpty() ? length - 1 : Long.parseLong(matcher.group(2));
        return Optional.of(new Range(first, Math.min(last, length - 1), false));
    }
}
