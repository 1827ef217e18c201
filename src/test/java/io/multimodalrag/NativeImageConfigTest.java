package io.multimodalrag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.multimodalrag.clip.ModelDownloader;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.lang.reflect.Constructor;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The native-image configuration against what it configures, on the JVM (no GraalVM here): the JNI
 * registrations against the classes and constructor signatures that ONNX Runtime's own JNI library
 * names, the resource patterns against the files they must keep, the ImageIO plugins against the
 * ServiceLoader registrations on the class path. An ONNX Runtime upgrade that calls back into a new
 * constructor fails here rather than in a native executable at run time.
 */
class NativeImageConfigTest {

    private static final Path CONFIG_DIR = Path.of("src/main/resources/META-INF/native-image/io.multimodalrag/multimodal-rag");
    private static final String JNI_LIBRARY = "ai/onnxruntime/native/linux-x64/libonnxruntime4j_jni.so";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Class name → JNI descriptors of the constructors registered for it. */
    private static Map<String, Set<String>> jniRegistrations() throws IOException {
        Map<String, Set<String>> registered = new TreeMap<>();
        for (JsonNode entry : JSON.readTree(CONFIG_DIR.resolve("jni-config.json").toFile())) {
            Set<String> descriptors = registered.computeIfAbsent(entry.get("name").asText(), n -> new TreeSet<>());
            for (JsonNode method : entry.path("methods")) {
                assertEquals("<init>", method.get("name").asText(), "only constructors are called from ONNX Runtime's C code");
                StringBuilder descriptor = new StringBuilder("(");
                for (JsonNode type : method.get("parameterTypes")) {
                    descriptor.append(descriptor(type.asText()));
                }
                descriptors.add(descriptor.append(")V").toString());
            }
        }
        return registered;
    }

    private static String descriptor(String type) {
        if (type.endsWith("[]")) {
            return "[" + descriptor(type.substring(0, type.length() - 2));
        }
        return switch (type) {
            case "int" -> "I";
            case "long" -> "J";
            case "float" -> "F";
            case "double" -> "D";
            case "boolean" -> "Z";
            case "byte" -> "B";
            case "short" -> "S";
            case "char" -> "C";
            default -> "L" + type.replace('.', '/') + ";";
        };
    }

    /** The printable strings of ONNX Runtime's JNI library: the class names and signatures it looks up. */
    private static List<String> jniLibraryStrings() throws IOException {
        byte[] library;
        try (InputStream in = Thread.currentThread().getContextClassLoader().getResourceAsStream(JNI_LIBRARY)) {
            assertNotNull(in, JNI_LIBRARY + " is not on the class path");
            library = in.readAllBytes();
        }
        List<String> strings = new ArrayList<>();
        StringBuilder run = new StringBuilder();
        for (byte b : library) {
            if (b >= 0x20 && b < 0x7f) {
                run.append((char) b);
            } else {
                if (run.length() >= 3) {
                    strings.add(run.toString());
                }
                run.setLength(0);
            }
        }
        return strings;
    }

    @Test
    void everyClassAndConstructorTheJniLibraryUsesIsRegistered() throws IOException {
        Map<String, Set<String>> registered = jniRegistrations();
        Set<String> registeredDescriptors = new TreeSet<>();
        registered.values().forEach(registeredDescriptors::addAll);

        Pattern className = Pattern.compile("(ai/onnxruntime/[A-Za-z0-9_$/]+|java/lang/String)");
        Pattern constructor = Pattern.compile("\\([\\[A-Za-z0-9_/;$]*\\)V");
        Set<String> classesUsed = new TreeSet<>();
        Set<String> constructorsUsed = new TreeSet<>();
        for (String s : jniLibraryStrings()) {
            if (className.matcher(s).matches()) {
                classesUsed.add(s.replace('/', '.'));
            } else if (constructor.matcher(s).matches()) {
                constructorsUsed.add(s);
            }
        }
        assertTrue(classesUsed.size() >= 8, "expected ONNX Runtime's JNI library to name its classes: " + classesUsed);
        assertFalse(constructorsUsed.isEmpty(), "expected constructor signatures in the JNI library");
        assertTrue(registered.keySet().containsAll(classesUsed),
                "classes the JNI library looks up but jni-config.json misses: " + minus(classesUsed, registered.keySet()));
        assertTrue(registeredDescriptors.containsAll(constructorsUsed),
                "constructors the JNI library calls but jni-config.json misses: " + minus(constructorsUsed, registeredDescriptors));
    }

    @Test
    void everyJniRegistrationNamesARealConstructor() throws Exception {
        for (Map.Entry<String, Set<String>> entry : jniRegistrations().entrySet()) {
            Class<?> type = Class.forName(entry.getKey());
            Set<String> actual = new TreeSet<>();
            for (Constructor<?> c : type.getDeclaredConstructors()) {
                StringBuilder descriptor = new StringBuilder("(");
                for (Class<?> parameter : c.getParameterTypes()) {
                    descriptor.append(descriptor(parameter.getName().startsWith("[")
                            ? parameter.getComponentType().getName() + "[]" : parameter.getName()));
                }
                actual.add(descriptor.append(")V").toString());
            }
            assertTrue(actual.containsAll(entry.getValue()),
                    entry.getKey() + " has no constructor " + minus(entry.getValue(), actual) + "; it has " + actual);
        }
    }

    @Test
    void theResourcePatternsKeepOnnxRuntimesLibrariesAndTheImageIoRegistrations() throws IOException {
        List<Pattern> patterns = new ArrayList<>();
        for (JsonNode include : JSON.readTree(CONFIG_DIR.resolve("resource-config.json").toFile()).path("resources").path("includes")) {
            patterns.add(Pattern.compile(include.get("pattern").asText()));
        }
        for (String resource : List.of(JNI_LIBRARY, "ai/onnxruntime/native/linux-x64/libonnxruntime.so",
                "native/Linux/x86_64/libwebp-imageio.so", "native/Linux/aarch64/libwebp-imageio.so",
                "META-INF/services/javax.imageio.spi.ImageReaderSpi", "META-INF/services/javax.imageio.spi.ImageInputStreamSpi")) {
            assertNotNull(getClass().getClassLoader().getResource(resource), resource + " is not on the class path");
            assertTrue(patterns.stream().anyMatch(p -> p.matcher(resource).matches()), "no pattern keeps " + resource);
        }
        assertFalse(patterns.stream().anyMatch(p -> p.matcher("ai/onnxruntime/native/osx-x64/libonnxruntime.dylib").matches()),
                "the macOS libraries have no place in a Linux executable");
    }

    @Test
    void everyImageIoPluginIsRegisteredForReflection() throws IOException {
        Set<String> registered = new TreeSet<>();
        for (JsonNode entry : JSON.readTree(CONFIG_DIR.resolve("reflect-config.json").toFile())) {
            registered.add(entry.get("name").asText());
        }
        Set<String> providers = new TreeSet<>();
        for (String service : List.of("ImageReaderSpi", "ImageWriterSpi", "ImageInputStreamSpi")) {
            Enumeration<URL> files = getClass().getClassLoader().getResources("META-INF/services/javax.imageio.spi." + service);
            while (files.hasMoreElements()) {
                try (BufferedReader reader = new BufferedReader(new InputStreamReader(files.nextElement().openStream(),
                        StandardCharsets.UTF_8))) {
                    reader.lines().map(l -> l.replaceAll("#.*", "").strip())
                            .filter(l -> l.startsWith("com.twelvemonkeys.") || l.startsWith("com.luciad."))
                            .forEach(providers::add);
                }
            }
        }
        assertTrue(providers.contains("com.twelvemonkeys.imageio.plugins.jpeg.JPEGImageReaderSpi"), providers.toString());
        assertTrue(providers.contains("com.luciad.imageio.webp.WebPImageReaderSpi"), providers.toString());
        assertEquals(providers, registered);
    }

    @Test
    void theApplicationsOwnResourcesAreKept() throws IOException {
        Properties properties = new Properties();
        try (InputStream in = Files.newInputStream(Path.of("src/main/resources/application.properties"))) {
            properties.load(in);
        }
        String includes = properties.getProperty("quarkus.native.resources.includes");
        assertNotNull(includes, "quarkus.native.resources.includes is not set");
        List<PathMatcher> globs = new ArrayList<>();
        for (String glob : includes.split(",")) {
            globs.add(FileSystems.getDefault().getPathMatcher("glob:" + glob.strip()));
        }
        assertTrue(globs.stream().anyMatch(g -> g.matches(Path.of(ModelDownloader.DEFAULT_MANIFEST))),
                "the model manifest " + ModelDownloader.DEFAULT_MANIFEST + " is not kept by " + includes);
        try (var files = Files.walk(Path.of("src/main/resources/clip"))) {
            files.filter(Files::isRegularFile).map(f -> Path.of("src/main/resources").relativize(f)).forEach(resource ->
                    assertTrue(globs.stream().anyMatch(g -> g.matches(resource)), resource + " is not kept by " + includes));
        } catch (java.nio.file.NoSuchFileException e) {
            // No tokenizer resources on this branch yet; the glob is there for when they come.
        }
    }

    @Test
    void onnxRuntimeIsInitialisedInTheExecutableNotAtBuildTime() throws IOException {
        Properties properties = new Properties();
        try (InputStream in = Files.newInputStream(CONFIG_DIR.resolve("native-image.properties"))) {
            properties.load(in);
        }
        String args = properties.getProperty("Args", "");
        if (!args.contains("--initialize-at-run-time=ai.onnxruntime")) {
            fail("ONNX Runtime's static initialisers load native libraries and read os.name; Args: " + args);
        }
    }

    private static Set<String> minus(Set<String> a, Set<String> b) {
        Set<String> rest = new TreeSet<>(a);
        rest.removeAll(b);
        return rest;
    }
}
