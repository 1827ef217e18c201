package io.multimodalrag.clip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class ManifestTest {

    private static final String HEAD = String.join("\n",
            "# comment", "",
            "name\tm", "repo\to/r", "revision\tmain", "endpoint\thttps://hub.example",
            "url\t{endpoint}/{repo}/resolve/{revision}/{path}", "default_variant\tfp32", "");
    private static final String SHA = "a".repeat(64);

    @Test
    void readsHeaderAndFilesOfEachVariant() {
        Manifest m = Manifest.parse(HEAD
                + "file\tfp32\tvision\tonnx/v.onnx\tonnx/v.onnx\t10\t" + SHA + "\n"
                + "file\tint8\tvision\tonnx/v_q.onnx\tv_q.onnx\t-\t-\n"
                + "file\tall\ttokenizer\ttokenizer.json\ttokenizer.json\t3\t-\r\n", "t");

        assertEquals(List.of("fp32", "int8"), List.copyOf(m.variants()));
        assertEquals(List.of("onnx/v.onnx", "tokenizer.json"),
                m.filesFor("fp32").stream().map(ModelFile::target).toList());
        ModelFile q = m.file("int8", "vision").orElseThrow();
        assertEquals(new ModelFile("int8", "vision", "onnx/v_q.onnx", "v_q.onnx", OptionalLong.empty(), Optional.empty()), q);
        assertEquals(OptionalLong.of(10), m.file("fp32", "vision").orElseThrow().size());
        assertEquals(Optional.of(SHA), m.file("fp32", "vision").orElseThrow().sha256());
        assertEquals(URI.create("https://hub.example/o/r/resolve/main/onnx/v_q.onnx"), m.uri(q, null));
    }

    @Test
    void encodesABranchRevisionWithSlashes() {
        Manifest m = Manifest.parse(HEAD.replace("revision\tmain", "revision\trefs/pr/1")
                + "file\tfp32\tvision\tv.onnx\tv.onnx\t1\t-\n", "t");

        assertEquals(URI.create("https://hub.example/o/r/resolve/refs%2Fpr%2F1/v.onnx"),
                m.uri(m.files().get(0), null));
    }

    @Test
    void refusesTargetsOutsideTheModelFolder() {
        for (String target : List.of("../v.onnx", "a/../../v.onnx", "/etc/v.onnx", ".hidden", "a//b", "a\\\\b")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Manifest.parse(
                    HEAD + "file\tfp32\tvision\tv.onnx\t" + target + "\t1\t-\n", "t"), target);
            assertTrue(e.getMessage().contains("t line 9"), e.getMessage());
        }
    }

    @Test
    void refusesMalformedLines() {
        List<String> bad = List.of(
                "file\tfp32\tvision\tv.onnx\tv.onnx\t1\n",                         // 6 fields
                "file\tfp32\tvision\tv.onnx\tv.onnx\tten\t-\n",                    // size not a number
                "file\tfp32\tvision\tv.onnx\tv.onnx\t1\t" + SHA.toUpperCase() + "\n", // upper-case sha
                "file\tfp32\tvision\tv.onnx\tv.onnx\t1\tabc\n",                    // short sha
                "colour\tblue\n",                                                   // unknown key
                "file\tfp32\tvision\tv.onnx\tv.onnx\t1\t-\nfile\tfp32\ttext\tt.onnx\tv.onnx\t1\t-\n"); // twice
        for (String lines : bad) {
            assertThrows(IllegalArgumentException.class, () -> Manifest.parse(HEAD + lines, "t"), lines);
        }
    }

    @Test
    void refusesAManifestWhoseDefaultVariantHasNoFile() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Manifest.parse(
                HEAD + "file\tint8\tvision\tv.onnx\tv.onnx\t1\t-\n", "t"));

        assertTrue(e.getMessage().contains("default_variant fp32"), e.getMessage());
    }

    @Test
    void unknownVariantNamesTheKnownOnes() {
        Manifest m = Manifest.parse(HEAD + "file\tfp32\tvision\tv.onnx\tv.onnx\t1\t-\n", "t");

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.filesFor("int4"));

        assertTrue(e.getMessage().contains("'int4'") && e.getMessage().contains("fp32"), e.getMessage());
    }

    @Test
    void aFolderLineIsSentToTheScriptThatResolvesIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Manifest.parse(
                HEAD + "tree\tfp32\ttextual\ttextual\ttextual\n", "x.tsv"));

        assertTrue(e.getMessage().contains("x.tsv line 9") && e.getMessage().contains("download.sh --manifest x.tsv")
                && e.getMessage().contains("pinned.manifest.tsv"), e.getMessage());
    }

    @Test
    void theMultilingualTowersManifestIsOneTheScriptResolves() throws IOException {
        Path manifest = Path.of("onnx-models/XLM-Roberta-Large-Vit-B-32.manifest.tsv");
        String text = Files.readString(manifest);
        assertTrue(text.contains("repo\timmich-app/XLM-Roberta-Large-Vit-B-32\n"), text);
        assertThrows(IllegalArgumentException.class, () -> Manifest.parse(text, manifest.toString()));
    }

    @Test
    void namesWithAColonAreRelativePaths() {
        Manifest m = Manifest.parse(HEAD + "file\tfp32\ttextual\ttextual/onnx::MatMul_1\ttextual/onnx::MatMul_1\t1\t"
                + SHA + "\n", "t");

        assertEquals("textual/onnx::MatMul_1", m.files().get(0).target());
        assertThrows(IllegalArgumentException.class, () -> Manifest.parse(
                HEAD + "file\tfp32\tvision\tv.onnx\t:v.onnx\t1\t-\n", "t"));
    }
}
