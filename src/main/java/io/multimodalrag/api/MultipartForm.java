package io.multimodalrag.api;

import java.nio.charset.Charset;
import java.nio.charset.IllegalCharsetNameException;
import java.nio.charset.StandardCharsets;
import java.nio.charset.UnsupportedCharsetException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A {@code multipart/form-data} body (RFC 7578) parsed in memory, the entity of the upload operations
 * ({@link MultipartBodies}): each part's name, file name, content type
 * and bytes, the bytes left in the body until asked for. A malformed body is a 400 problem that says what
 * is wrong with it.
 *
 * <p>The parts' ends are found with a Boyer-Moore-Horspool search for the delimiter
 * {@code CRLF--boundary}, which skips up to the delimiter's length per step: a photo of a few hundred
 * kilobytes is split in microseconds.
 */
public final class MultipartForm {

    /** More parts than any of this service's forms has, by far. */
    static final int MAX_PARTS = 64;
    /** The headers of one part: a Content-Disposition and a Content-Type need a few hundred bytes. */
    static final int MAX_PART_HEADER_BYTES = 8 * 1024;

    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] HEADER_END = {'\r', '\n', '\r', '\n'};
    private static final byte[] DASHES = {'-', '-'};

    /** One part of the form. */
    static final class Part {
        private final String name;
        private final String filename;
        private final String contentType;
        private final byte[] body;
        private final int offset;
        private final int length;

        private Part(String name, String filename, String contentType, byte[] body, int offset, int length) {
            this.name = name;
            this.filename = filename;
            this.contentType = contentType;
            this.body = body;
            this.offset = offset;
            this.length = length;
        }

        String name() {
            return name;
        }

        /** The file name the client gave, if it sent the part as a file. */
        Optional<String> filename() {
            return Optional.ofNullable(filename);
        }

        /** The part's own Content-Type, if it had one. */
        Optional<String> contentType() {
            return Optional.ofNullable(contentType);
        }

        int length() {
            return length;
        }

        /** A copy of the part's bytes. */
        byte[] bytes() {
            return Arrays.copyOfRange(body, offset, offset + length);
        }

        /** The part as text, in the charset its Content-Type names, UTF-8 otherwise (RFC 7578 §4.6). */
        String text() {
            return new String(body, offset, length, charset(contentType));
        }
    }

    private final Map<String, Part> parts;

    private MultipartForm(Map<String, Part> parts) {
        this.parts = parts;
    }

    /** The first part named {@code name}. */
    Optional<Part> part(String name) {
        return Optional.ofNullable(parts.get(name));
    }

    /** The names of the parts, in no particular order. */
    java.util.Set<String> names() {
        return parts.keySet();
    }

    /**
     * Parses {@code body} as the request's {@code multipart/form-data} content; {@code contentType} is the
     * request's Content-Type header, whose {@code boundary} parameter separates the parts.
     */
    static MultipartForm parse(byte[] body, String contentType) {
        String boundary = parameter(contentType, "boundary")
                .orElseThrow(() -> malformed("the Content-Type multipart/form-data has no boundary parameter"));
        if (boundary.isEmpty() || boundary.length() > 70) {
            throw malformed("the multipart boundary must be 1 to 70 characters long");
        }
        byte[] dashBoundary = ("--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
        byte[] delimiter = concat(CRLF, dashBoundary);
        Horspool delimiters = new Horspool(delimiter);

        int position;
        if (startsWith(body, 0, dashBoundary)) {
            position = dashBoundary.length;
        } else {
            int first = delimiters.find(body, 0);
            if (first < 0) {
                throw malformed("the body does not contain the boundary its Content-Type announces");
            }
            position = first + delimiter.length;
        }
        Map<String, Part> parts = new HashMap<>();
        int count = 0;
        while (true) {
            if (startsWith(body, position, DASHES)) {
                return new MultipartForm(parts); // the close delimiter; what follows is the epilogue
            }
            position = skipPadding(body, position);
            if (!startsWith(body, position, CRLF)) {
                throw malformed("a multipart boundary is not followed by a line break");
            }
            position += CRLF.length;
            if (++count > MAX_PARTS) {
                throw malformed("the form has more than " + MAX_PARTS + " parts");
            }
            if (startsWith(body, position, CRLF)) {
                throw malformed("a part has no headers; each needs 'Content-Disposition: form-data; name=...'");
            }
            int headersEnd = indexOf(body, HEADER_END, position, Math.min(body.length, position + MAX_PART_HEADER_BYTES));
            if (headersEnd < 0) {
                throw malformed(body.length - position > MAX_PART_HEADER_BYTES
                        ? "the headers of a part are longer than " + MAX_PART_HEADER_BYTES + " bytes"
                        : "the body ends inside the headers of a part (was the upload cut short?)");
            }
            Map<String, String> headers = headers(body, position, headersEnd);
            int contentStart = headersEnd + HEADER_END.length;
            int contentEnd = delimiters.find(body, contentStart);
            if (contentEnd < 0) {
                throw malformed("the body ends before the closing boundary of its last part (was the upload cut short?)");
            }
            String disposition = headers.get("content-disposition");
            if (disposition == null || !disposition.strip().toLowerCase(Locale.ROOT).startsWith("form-data")) {
                throw malformed("a part has no 'Content-Disposition: form-data' header");
            }
            Optional<String> name = parameter(disposition, "name");
            if (name.isEmpty()) {
                throw malformed("a part's Content-Disposition has no name");
            }
            String filename = parameter(disposition, "filename*").or(() -> parameter(disposition, "filename")).orElse(null);
            parts.putIfAbsent(name.get(), new Part(name.get(), filename, headers.get("content-type"), body, contentStart,
                    contentEnd - contentStart));
            position = contentEnd + delimiter.length;
        }
    }

    private static int skipPadding(byte[] body, int position) {
        while (position < body.length && (body[position] == ' ' || body[position] == '\t')) {
            position++;
        }
        return position;
    }

    /** Header lines from {@code from} up to {@code to}, names lower-cased; the first of a repeated name wins. */
    private static Map<String, String> headers(byte[] body, int from, int to) {
        Map<String, String> headers = new HashMap<>();
        // Header values are UTF-8 in practice: browsers send file names that way (RFC 7578 §5.1).
        for (String line : new String(body, from, to - from, StandardCharsets.UTF_8).split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw malformed("a part has a header line without a name: '" + RequestFields.abbreviate(line) + "'");
            }
            headers.putIfAbsent(line.substring(0, colon).strip().toLowerCase(Locale.ROOT), line.substring(colon + 1).strip());
        }
        return headers;
    }

    /**
     * The parameter {@code name} of a header value such as {@code form-data; name="image"; filename="a.jpg"}:
     * a token or a quoted string with backslash escapes. Names are case-insensitive.
     */
    static Optional<String> parameter(String headerValue, String name) {
        if (headerValue == null) {
            return Optional.empty();
        }
        int i = headerValue.indexOf(';');
        while (i >= 0 && i < headerValue.length()) {
            i++; // past ';'
            while (i < headerValue.length() && Character.isWhitespace(headerValue.charAt(i))) {
                i++;
            }
            int equals = headerValue.indexOf('=', i);
            int semicolon = headerValue.indexOf(';', i);
            if (equals < 0 || (semicolon >= 0 && semicolon < equals)) {
                i = semicolon; // a parameter without a value
                continue;
            }
            String key = headerValue.substring(i, equals).strip();
            int v = equals + 1;
            while (v < headerValue.length() && Character.isWhitespace(headerValue.charAt(v))) {
                v++;
            }
            StringBuilder value = new StringBuilder();
            if (v < headerValue.length() && headerValue.charAt(v) == '"') {
                v++;
                while (v < headerValue.length() && headerValue.charAt(v) != '"') {
                    char c = headerValue.charAt(v);
                    if (c == '\\' && v + 1 < headerValue.length()) {
                        c = headerValue.charAt(++v);
                    }
                    value.append(c);
                    v++;
                }
                v++; // past the closing quote
                i = headerValue.indexOf(';', Math.min(v, headerValue.length()));
            } else {
                int end = headerValue.indexOf(';', v);
                value.append(headerValue, v, end < 0 ? headerValue.length() : end);
                i = end;
            }
            if (key.equalsIgnoreCase(name)) {
                String found = value.toString().strip();
                return Optional.of(name.endsWith("*") ? extendedValue(found) : found);
            }
        }
        return Optional.empty();
    }

    /** An RFC 8187 value such as {@code UTF-8''caf%C3%A9.jpg}; left as sent when it is not one. */
    private static String extendedValue(String value) {
        int first = value.indexOf('\'');
        int second = first < 0 ? -1 : value.indexOf('\'', first + 1);
        if (second < 0) {
            return value;
        }
        try {
            return java.net.URLDecoder.decode(value.substring(second + 1).replace("+", "%2B"),
                    Charset.forName(value.substring(0, first)));
        } catch (IllegalArgumentException e) {
            return value;
        }
    }

    private static Charset charset(String contentType) {
        Optional<String> name = parameter(contentType, "charset");
        if (name.isEmpty()) {
            return StandardCharsets.UTF_8;
        }
        try {
            return Charset.forName(name.get());
        } catch (IllegalCharsetNameException | UnsupportedCharsetException e) {
            throw ApiException.badField("a form field names the unknown charset '" + RequestFields.abbreviate(name.get()) + "'");
        }
    }

    private static ApiException malformed(String detail) {
        return ApiException.badField("malformed multipart/form-data body: " + detail);
    }

    private static boolean startsWith(byte[] body, int at, byte[] prefix) {
        return at + prefix.length <= body.length && Arrays.equals(body, at, at + prefix.length, prefix, 0, prefix.length);
    }

    private static int indexOf(byte[] body, byte[] pattern, int from, int to) {
        for (int i = from; i + pattern.length <= to; i++) {
            if (body[i] == pattern[0] && startsWith(body, i, pattern)) {
                return i;
            }
        }
        return -1;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] joined = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, joined, a.length, b.length);
        return joined;
    }

    /** Boyer-Moore-Horspool search for one pattern. */
    static final class Horspool {
        private final byte[] pattern;
        private final int[] shift = new int[256];

        Horspool(byte[] pattern) {
            this.pattern = pattern;
            Arrays.fill(shift, pattern.length);
            for (int i = 0; i < pattern.length - 1; i++) {
                shift[pattern[i] & 0xff] = pattern.length - 1 - i;
            }
        }

        /** The first index at or after {@code from} where the pattern starts, or -1. */
        int find(byte[] text, int from) {
            int last = pattern.length - 1;
            byte lastByte = pattern[last];
            for (int i = Math.max(from, 0); i + last < text.length; ) {
                byte b = text[i + last];
                if (b == lastByte && Arrays.equals(text, i, i + last, pattern, 0, last)) {
                    return i;
                }
                i += shift[b & 0xff];
            }
            return -1;
        }
    }

    @Override
    public String toString() {
        List<String> shown = new ArrayList<>();
        parts.values().forEach(p -> shown.add(p.name() + "(" + p.length() + " bytes)"));
        return "MultipartForm" + shown;
    }
}
