package io.multimodalrag.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MultipartFormTest {

    private static final String TYPE = "multipart/form-data; boundary=XyZ";

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    @Test
    void readsNamesFileNamesTypesAndBytes() {
        String body = "--XyZ\r\n"
                + "Content-Disposition: form-data; name=\"image\"; filename=\"photo.jpg\"\r\n"
                + "Content-Type: image/jpeg\r\n\r\n"
                + "\u00ff\u00d8\u00ff\r\n--XyZ\r\n"
                + "content-disposition: form-data; name=k\r\n\r\n"
                + "5\r\n--XyZ--\r\n";
        MultipartForm form = MultipartForm.parse(ascii(body), TYPE);
        MultipartForm.Part image = form.part("image").orElseThrow();
        assertEquals(Optional.of("photo.jpg"), image.filename());
        assertEquals(Optional.of("image/jpeg"), image.contentType());
        assertArrayEquals(new byte[] {(byte) 0xff, (byte) 0xd8, (byte) 0xff}, image.bytes());
        MultipartForm.Part k = form.part("k").orElseThrow();
        assertEquals("5", k.text());
        assertEquals(Optional.empty(), k.filename());
        assertEquals(Optional.empty(), form.part("minScore"));
    }

    @Test
    void ignoresPreambleAndEpilogueAndReadsAQuotedBoundary() {
        String body = "This is the preamble.\r\n--a:b c\r\n"
                + "Content-Disposition: form-data; name=\"question\"\r\n\r\n"
                + "What is it?\r\n--a:b c--\r\nThis is the epilogue, with --a:b c in it.";
        MultipartForm form = MultipartForm.parse(ascii(body), "multipart/form-data; charset=utf-8; boundary=\"a:b c\"");
        assertEquals("What is it?", form.part("question").orElseThrow().text());
    }

    @Test
    void anEmptyPartAndContentThatAlmostHoldsTheDelimiter() {
        String tricky = "line\r\n--XyY\r\n-XyZ\r\n--Xy\r\n-\r--XyZ\n--XyZ";
        String body = "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n"
                + "\r\n--XyZ\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\n"
                + tricky + "\r\n--XyZ--";
        MultipartForm form = MultipartForm.parse(ascii(body), TYPE);
        assertEquals(0, form.part("a").orElseThrow().length());
        assertEquals(tricky, form.part("b").orElseThrow().text());
    }

    @Test
    void theFirstOfTwoPartsWithOneNameCounts() {
        String body = "--XyZ\r\nContent-Disposition: form-data; name=\"k\"\r\n\r\n1\r\n"
                + "--XyZ\r\nContent-Disposition: form-data; name=\"k\"\r\n\r\n2\r\n--XyZ--\r\n";
        assertEquals("1", MultipartForm.parse(ascii(body), TYPE).part("k").orElseThrow().text());
    }

    @Test
    void textIsUtf8UnlessThePartNamesACharset() {
        byte[] utf8 = "--XyZ\r\nContent-Disposition: form-data; name=\"q\"\r\n\r\nWhat's this café?\r\n--XyZ--"
                .getBytes(StandardCharsets.UTF_8);
        assertEquals("What's this café?", MultipartForm.parse(utf8, TYPE).part("q").orElseThrow().text());
        byte[] latin1 = ("--XyZ\r\nContent-Disposition: form-data; name=\"q\"\r\nContent-Type: text/plain; charset=ISO-8859-1"
                + "\r\n\r\ncafé\r\n--XyZ--").getBytes(StandardCharsets.ISO_8859_1);
        assertEquals("café", MultipartForm.parse(latin1, TYPE).part("q").orElseThrow().text());
        byte[] unknown = ("--XyZ\r\nContent-Disposition: form-data; name=\"q\"\r\nContent-Type: text/plain; charset=no-such-set"
                + "\r\n\r\nx\r\n--XyZ--").getBytes(StandardCharsets.ISO_8859_1);
        ApiException e = assertThrows(ApiException.class, () -> MultipartForm.parse(unknown, TYPE).part("q").orElseThrow().text());
        assertEquals(400, e.status());
        assertTrue(e.getMessage().contains("no-such-set"), e.getMessage());
    }

    @Test
    void headerParametersAreTokensOrQuotedStringsWithEscapes() {
        String header = "form-data; NAME=\"a \\\"b\\\"; c\"; filename=plain.jpg ; empty=\"\"";
        assertEquals(Optional.of("a \"b\"; c"), MultipartForm.parameter(header, "name"));
        assertEquals(Optional.of("plain.jpg"), MultipartForm.parameter(header, "filename"));
        assertEquals(Optional.of(""), MultipartForm.parameter(header, "empty"));
        assertEquals(Optional.empty(), MultipartForm.parameter(header, "nam"));
        assertEquals(Optional.of("café 1+1.jpg"),
                MultipartForm.parameter("form-data; name=x; filename*=UTF-8''caf%C3%A9%201+1.jpg", "filename*"));
        assertEquals(Optional.empty(), MultipartForm.parameter("form-data", "name"));
        assertEquals(Optional.empty(), MultipartForm.parameter(null, "name"));
    }

    @Test
    void anRfc8187FileNameIsPreferred() {
        String body = "--XyZ\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.jpg\"; filename*=UTF-8''%C3%A9.jpg"
                + "\r\n\r\nx\r\n--XyZ--";
        assertEquals(Optional.of("é.jpg"), MultipartForm.parse(ascii(body), TYPE).part("image").orElseThrow().filename());
    }

    @Test
    void malformedBodiesAre400sThatSayWhatIsWrong() {
        String part = "--XyZ\r\nContent-Disposition: form-data; name=\"k\"\r\n\r\n1";
        assertMalformed(part + "\r\n--XyZ--", "multipart/form-data", "no boundary parameter");
        assertMalformed(part + "\r\n--XyZ--", "multipart/form-data; boundary=\"\"", "1 to 70 characters");
        assertMalformed(part + "\r\n--XyZ--", "multipart/form-data; boundary=" + "b".repeat(71), "1 to 70 characters");
        assertMalformed("just some bytes", TYPE, "does not contain the boundary");
        assertMalformed(part, TYPE, "closing boundary of its last part");
        assertMalformed(part + "\r\n--XyZ\r\nContent-Disposition: form-data; name=\"x\"\r\n", TYPE, "inside the headers");
        assertMalformed("--XyZ\r\nContent-Type: text/plain\r\n\r\n1\r\n--XyZ--", TYPE, "Content-Disposition");
        assertMalformed("--XyZ\r\nContent-Disposition: form-data; filename=\"a\"\r\n\r\n1\r\n--XyZ--", TYPE, "has no name");
        assertMalformed("--XyZ\r\n\r\n1\r\n--XyZ--", TYPE, "has no headers");
        assertMalformed("--XyZ\r\nno colon here\r\n\r\n1\r\n--XyZ--", TYPE, "header line without a name");
        assertMalformed("--XyZjunk\r\nContent-Disposition: form-data; name=\"k\"\r\n\r\n1\r\n--XyZ--", TYPE, "line break");
        assertMalformed("--XyZ\r\nX-Long: " + "a".repeat(MultipartForm.MAX_PART_HEADER_BYTES) + "\r\n\r\n1\r\n--XyZ--", TYPE,
                "longer than");
        StringBuilder many = new StringBuilder();
        for (int i = 0; i <= MultipartForm.MAX_PARTS; i++) {
            many.append("--XyZ\r\nContent-Disposition: form-data; name=\"p").append(i).append("\"\r\n\r\nv\r\n");
        }
        assertMalformed(many + "--XyZ--", TYPE, "more than " + MultipartForm.MAX_PARTS + " parts");
    }

    private static void assertMalformed(String body, String contentType, String expected) {
        ApiException e = assertThrows(ApiException.class, () -> MultipartForm.parse(ascii(body), contentType), body);
        assertEquals(400, e.status());
        assertTrue(e.getMessage().startsWith("malformed multipart/form-data body: "), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void paddingAfterABoundaryIsAllowed() {
        String body = "--XyZ \t\r\nContent-Disposition: form-data; name=\"k\"\r\n\r\n1\r\n--XyZ--";
        assertEquals("1", MultipartForm.parse(ascii(body), TYPE).part("k").orElseThrow().text());
    }

    @Test
    void randomBinaryPartsComeBackExactly() {
        Random random = new Random(7);
        for (int round = 0; round < 300; round++) {
            String boundary = "b" + Long.toHexString(random.nextLong()).substring(0, 1 + random.nextInt(12));
            byte[] delimiterLike = ascii("\r\n--" + boundary);
            List<byte[]> contents = new ArrayList<>();
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            body.writeBytes(ascii(random.nextBoolean() ? "" : "preamble\r\n"));
            int parts = 1 + random.nextInt(5);
            for (int p = 0; p < parts; p++) {
                byte[] content = new byte[random.nextInt(3) == 0 ? random.nextInt(4) : random.nextInt(5000)];
                random.nextBytes(content);
                // Plant near-misses of the delimiter: all but its last byte, or with one byte changed.
                for (int plant = 0; plant < 3 && content.length > delimiterLike.length + 1; plant++) {
                    int at = random.nextInt(content.length - delimiterLike.length);
                    System.arraycopy(delimiterLike, 0, content, at, delimiterLike.length - 1);
                    content[at + delimiterLike.length - 1] =
                            (byte) (delimiterLike[delimiterLike.length - 1] ^ (1 + random.nextInt(255)));
                }
                contents.add(content);
                body.writeBytes(ascii("--" + boundary + "\r\nContent-Disposition: form-data; name=\"p" + p
                        + "\"; filename=\"f" + p + ".bin\"\r\nContent-Type: application/octet-stream\r\n\r\n"));
                body.writeBytes(content);
                body.writeBytes(ascii("\r\n"));
            }
            body.writeBytes(ascii("--" + boundary + "--\r\n"));
            MultipartForm form = MultipartForm.parse(body.toByteArray(), "multipart/form-data; boundary=" + boundary);
            assertEquals(parts, form.names().size());
            for (int p = 0; p < parts; p++) {
                assertArrayEquals(contents.get(p), form.part("p" + p).orElseThrow().bytes(), "round " + round + " part " + p);
            }
        }
    }

    @Test
    void horspoolFindsWhatANaiveSearchFinds() {
        Random random = new Random(11);
        for (int round = 0; round < 2000; round++) {
            byte[] pattern = new byte[1 + random.nextInt(6)];
            byte[] text = new byte[random.nextInt(200)];
            // A three-letter alphabet makes matches and near-misses common.
            for (int i = 0; i < pattern.length; i++) {
                pattern[i] = (byte) random.nextInt(3);
            }
            for (int i = 0; i < text.length; i++) {
                text[i] = (byte) random.nextInt(3);
            }
            int from = text.length == 0 ? 0 : random.nextInt(text.length);
            assertEquals(naive(text, pattern, from), new MultipartForm.Horspool(pattern).find(text, from),
                    "round " + round);
        }
        assertFalse(new MultipartForm.Horspool(ascii("ab")).find(ascii("a"), 0) >= 0);
    }

    private static int naive(byte[] text, byte[] pattern, int from) {
        outer:
        for (int i = from; i + pattern.length <= text.length; i++) {
            for (int j = 0; j < pattern.length; j++) {
                if (text[i + j] != pattern[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
