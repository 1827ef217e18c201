package io.multimodalrag.deploy;

import io.multimodalrag.config.RagConfig;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithName;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The configuration keys the service reads, and the environment variables that set them
 * ({@code rag.knowledge-base.cache-dir} → {@code RAG_KNOWLEDGE_BASE_CACHE_DIR}): every key of
 * {@link RagConfig}, found by walking the interface as SmallRye Config maps it, and every
 * {@code quarkus.*} key that application.properties sets. A manifest that names anything else names
 * a setting nobody reads.
 */
final class ConfigurationKeys {

    /**
     * Variables read by the container images' entry points, or added by quarkus-kubernetes to every
     * container, rather than by the application's configuration.
     */
    static final Map<String, String> OUTSIDE_THE_APPLICATION = Map.of(
            "JAVA_MAX_MEM_RATIO", "heap share of the memory limit (run-java.sh; Dockerfile.gpu and .native entry points)",
            "KUBERNETES_NAMESPACE", "added by quarkus-kubernetes from the pod's metadata");

    /**
     * Quarkus' standard datasource keys, which the postgresql store is configured by and application.properties
     * leaves unset (no URL: the datasource is inactive for the files store).
     */
    static final Set<String> DATASOURCE = Set.of("quarkus.datasource.jdbc.url", "quarkus.datasource.username",
            "quarkus.datasource.password", "quarkus.datasource.jdbc.max-size");

    private ConfigurationKeys() {
    }

    /** Every key of {@link RagConfig}, e.g. {@code rag.model.download.base-url}. */
    static Set<String> ragKeys() {
        Set<String> keys = new TreeSet<>();
        collect(RagConfig.class, RagConfig.class.getAnnotation(ConfigMapping.class).prefix(), keys);
        return keys;
    }

    private static void collect(Class<?> group, String prefix, Set<String> keys) {
        for (Method method : group.getDeclaredMethods()) {
            if (method.isDefault() || java.lang.reflect.Modifier.isStatic(method.getModifiers())) {
                continue;
            }
            WithName renamed = method.getAnnotation(WithName.class);
            String key = prefix + "." + (renamed != null ? renamed.value() : kebab(method.getName()));
            Class<?> type = method.getReturnType();
            if (type.isInterface() && type.getEnclosingClass() == RagConfig.class) {
                collect(type, key, keys);
            } else {
                keys.add(key);
            }
        }
    }

    /** SmallRye Config's default naming: {@code maxDescriptionLength} → {@code max-description-length}. */
    static String kebab(String name) {
        StringBuilder kebab = new StringBuilder();
        for (char c : name.toCharArray()) {
            if (Character.isUpperCase(c)) {
                kebab.append('-').append(Character.toLowerCase(c));
            } else {
                kebab.append(c);
            }
        }
        return kebab.toString();
    }

    /** The {@code quarkus.*} keys application.properties sets, profiles stripped. */
    static Set<String> quarkusKeys() {
        Set<String> keys = new TreeSet<>();
        for (String name : applicationProperties().stringPropertyNames()) {
            String key = name.startsWith("%") ? name.substring(name.indexOf('.') + 1) : name;
            if (key.startsWith("quarkus.")) {
                keys.add(key);
            }
        }
        return keys;
    }

    static Properties applicationProperties() {
        Properties properties = new Properties();
        try (InputStream in = Files.newInputStream(Path.of("src/main/resources/application.properties"))) {
            properties.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return properties;
    }

    /** The environment variable that sets {@code key}, as SmallRye Config reads the environment. */
    static String envName(String key) {
        return key.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
    }

    /** Environment variable → configuration key, for every key the service reads today. */
    static Map<String, String> byEnvName() {
        Map<String, String> byEnv = new TreeMap<>();
        for (String key : ragKeys()) {
            byEnv.put(envName(key), key);
        }
        for (String key : quarkusKeys()) {
            byEnv.put(envName(key), key);
        }
        for (String key : DATASOURCE) {
            byEnv.put(envName(key), key);
        }
        return byEnv;
    }
}
