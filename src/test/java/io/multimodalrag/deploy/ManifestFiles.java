package io.multimodalrag.deploy;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Kubernetes YAML files read document by document (a file may hold several, separated by ---). */
final class ManifestFiles {

    /** Where the manifests live. */
    static final Path KUBERNETES = Path.of("docker/kubernetes");

    static final ObjectMapper YAML = new YAMLMapper();

    /** One document of a file. */
    record Document(Path file, JsonNode node) {

        String kind() {
            return node.path("kind").asText();
        }

        String name() {
            return node.path("metadata").path("name").asText();
        }

        <T> T as(Class<T> type) {
            try {
                return YAML.treeToValue(node, type);
            } catch (IOException e) {
                throw new UncheckedIOException(file + ": not a valid " + type.getSimpleName() + ": " + e.getMessage(), e);
            }
        }
    }

    private ManifestFiles() {
    }

    /** Every YAML file under {@code folder}, sorted. */
    static List<Path> yamlFiles(Path folder) {
        try (Stream<Path> files = Files.walk(folder)) {
            return files.filter(Files::isRegularFile)
                    .filter(f -> f.toString().endsWith(".yml") || f.toString().endsWith(".yaml"))
                    .sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The non-empty documents of one file. */
    static List<Document> read(Path file) {
        List<Document> documents = new ArrayList<>();
        try (JsonParser parser = new YAMLFactory().createParser(file.toFile());
                MappingIterator<JsonNode> nodes = YAML.readValues(parser, JsonNode.class)) {
            while (nodes.hasNext()) {
                JsonNode node = nodes.next();
                if (node != null && !node.isNull() && !node.isEmpty()) {
                    documents.add(new Document(file, node));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(file + " is not valid YAML: " + e.getMessage(), e);
        }
        return documents;
    }
}
