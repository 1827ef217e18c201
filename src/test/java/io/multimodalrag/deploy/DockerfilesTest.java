package io.multimodalrag.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;

/**
 * The three Dockerfiles against what the build produces and the repository holds: cheap text
 * checks, since no container engine runs here. Every COPY source exists (or is an output the build
 * writes under target/), the JVM images copy exactly Quarkus' fast-jar layout, the native image
 * copies the runner the native build names, the GPU image's CUDA base matches ONNX Runtime's GPU
 * build, and every image runs as a numeric non-root user on quarkus.http.port.
 */
class DockerfilesTest {

    private static final List<String> DOCKERFILES = List.of("Dockerfile.jvm", "Dockerfile.native", "Dockerfile.gpu");
    private static final Pattern COPY = Pattern.compile("(?m)^COPY\\s+(.+)$");

    private static String read(String dockerfile) throws IOException {
        return Files.readString(Path.of("docker", dockerfile));
    }

    /** The source paths of every COPY (flags and the destination left out). */
    private static List<String> copySources(String text) {
        List<String> sources = new ArrayList<>();
        Matcher copy = COPY.matcher(text);
        while (copy.find()) {
            List<String> words = new ArrayList<>(Arrays.asList(copy.group(1).trim().split("\\s+")));
            words.removeIf(w -> w.startsWith("--"));
            sources.addAll(words.subList(0, words.size() - 1));
        }
        return sources;
    }

    private static String pomValue(String tag) throws Exception {
        var pom = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(Path.of("pom.xml").toFile());
        Element project = pom.getDocumentElement();
        for (var node = project.getFirstChild(); node != null; node = node.getNextSibling()) {
            if (node instanceof Element e && e.getTagName().equals(tag)) {
                return e.getTextContent().trim();
            }
        }
        var properties = project.getElementsByTagName(tag);
        return properties.item(0).getTextContent().trim();
    }

    @Test
    void everyCopySourceIsInTheRepositoryOrABuildOutput() throws IOException {
        for (String dockerfile : DOCKERFILES) {
            for (String source : copySources(read(dockerfile))) {
                if (source.startsWith("target/")) {
                    continue;
                }
                assertTrue(Files.exists(Path.of(source)), dockerfile + " copies " + source + ", which is not in the repository");
            }
        }
    }

    @Test
    void theJvmImagesCopyExactlyTheFastJarLayout() throws IOException {
        String packaging = ConfigurationKeys.applicationProperties().getProperty("quarkus.package.jar.type", "fast-jar");
        assertEquals("fast-jar", packaging, "the Dockerfiles copy the fast-jar layout");
        Set<String> fastJar = Set.of("target/quarkus-app/lib/", "target/quarkus-app/*.jar", "target/quarkus-app/app/",
                "target/quarkus-app/quarkus/");
        for (String dockerfile : List.of("Dockerfile.jvm", "Dockerfile.gpu")) {
            String text = read(dockerfile);
            Set<String> fromTarget = new TreeSet<>(copySources(text).stream().filter(s -> s.startsWith("target/")).toList());
            assertEquals(fastJar, fromTarget, dockerfile);
            assertTrue(text.contains("/deployments/quarkus-run.jar"), dockerfile + " starts quarkus-run.jar");
        }
        Path built = Path.of("target/quarkus-app");
        if (Files.isDirectory(built)) {
            for (String part : List.of("lib", "app", "quarkus", "quarkus-run.jar")) {
                assertTrue(Files.exists(built.resolve(part)), "the build wrote no " + built.resolve(part));
            }
        }
    }

    @Test
    void theNativeImageCopiesTheRunnerTheNativeBuildNames() throws Exception {
        String runner = "target/" + pomValue("artifactId") + "-" + pomValue("version") + "-runner";
        List<String> fromTarget = copySources(read("Dockerfile.native")).stream().filter(s -> s.startsWith("target/")).toList();
        assertTrue(fromTarget.stream().anyMatch(glob -> FileSystems.getDefault().getPathMatcher("glob:" + glob)
                .matches(Path.of(runner))), "Dockerfile.native copies " + fromTarget + ", not the runner " + runner);
        assertTrue(Files.readString(Path.of("pom.xml")).contains("${project.build.finalName}-runner"),
                "the native tests look for the same runner");
    }

    @Test
    void theGpuImageMatchesOnnxRuntimesGpuBuild() throws Exception {
        String text = read("Dockerfile.gpu");
        Matcher base = Pattern.compile("(?m)^FROM nvidia/cuda:(\\d+)\\.(\\d+)\\.(\\d+)-(cudnn\\d*)-runtime-ubuntu\\S+$").matcher(text);
        assertTrue(base.find(), "Dockerfile.gpu starts from an nvidia/cuda cuDNN runtime image");
        String ort = pomValue("onnxruntime.version");
        int ortMinor = Integer.parseInt(ort.split("\\.")[1]);
        // ONNX Runtime 1.19 and later: GPU packages for CUDA 12.x with cuDNN 9.x (onnxruntime.ai, CUDA
        // execution provider requirements). The cuDNN 9 images are tagged plain "cudnn", the older "cudnn8".
        assertTrue(ortMinor >= 19, "this check knows ONNX Runtime 1.19+; " + ort + " needs its own pairing");
        assertEquals("12", base.group(1), "ONNX Runtime " + ort + "'s GPU build needs CUDA 12.x");
        assertEquals("cudnn", base.group(4), "ONNX Runtime " + ort + "'s GPU build needs cuDNN 9, not " + base.group(4));
        assertTrue(text.contains("-Pgpu"), "Dockerfile.gpu says to build with -Pgpu");
        assertTrue(text.contains("onnxruntime_gpu"), "Dockerfile.gpu refuses a build without onnxruntime_gpu");
    }

    @Test
    void everyImageRunsAsANumericNonRootUserOnTheHttpPort() throws IOException {
        String port = ConfigurationKeys.applicationProperties().getProperty("quarkus.http.port", "8080");
        for (String dockerfile : DOCKERFILES) {
            String text = read(dockerfile);
            Matcher users = Pattern.compile("(?m)^USER\\s+(\\S+)").matcher(text);
            String last = null;
            while (users.find()) {
                last = users.group(1);
            }
            assertTrue(last != null && last.matches("[1-9][0-9]*"), dockerfile + " ends as user " + last
                    + "; Kubernetes' runAsNonRoot needs a numeric, non-zero user");
            assertTrue(Pattern.compile("(?m)^EXPOSE " + port + "$").matcher(text).find(), dockerfile + " exposes " + port);
            assertTrue(text.contains("quarkus.http.host=0.0.0.0"), dockerfile + " listens on every interface");
        }
    }

    @Test
    void everyImageCarriesTheDownloadScriptWithTheManifestItReads() throws IOException {
        for (String dockerfile : DOCKERFILES) {
            String text = read(dockerfile);
            Matcher manifest = Pattern.compile("(?m)^COPY .*src/main/resources/model/(\\S+\\.manifest\\.tsv) (\\S+)/$").matcher(text);
            assertTrue(manifest.find(), dockerfile + " copies the model manifest");
            String inImage = manifest.group(2) + "/" + manifest.group(1);
            assertTrue(text.contains("MODEL_MANIFEST=" + inImage), dockerfile + " points download.sh at " + inImage);
            assertTrue(Pattern.compile("(?m)^COPY .*onnx-models/download\\.sh .*" + Pattern.quote(manifest.group(2)) + "/$")
                    .matcher(text).find(), dockerfile + " puts download.sh beside the manifest");
            assertTrue(text.contains("JAVA_MAX_MEM_RATIO") || text.contains("run-java.sh"),
                    dockerfile + " honours JAVA_MAX_MEM_RATIO, which the Deployment sets");
            assertFalse(text.contains("ADD "), dockerfile + ": COPY, not ADD");
        }
    }
}
