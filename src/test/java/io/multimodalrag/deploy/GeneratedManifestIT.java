package io.multimodalrag.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.multimodalrag.deploy.ManifestFiles.Document;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Runs after {@code package} (failsafe): the Deployment, Service and Ingress committed in
 * docker/kubernetes/base/multimodal-rag.yml are exactly what quarkus-kubernetes has just generated
 * from application.properties into target/kubernetes/kubernetes.yml. The committed copy exists
 * because kustomize only reads files below its own folder.
 */
class GeneratedManifestIT {

    private static final Path GENERATED = Path.of("target/kubernetes/kubernetes.yml");
    private static final Path COMMITTED = ManifestFiles.KUBERNETES.resolve("base/multimodal-rag.yml");

    private static List<JsonNode> resources(Path file) {
        return ManifestFiles.read(file).stream()
                .sorted(Comparator.comparing(Document::kind).thenComparing(Document::name))
                .map(Document::node).toList();
    }

    @Test
    void theCommittedManifestIsWhatTheBuildGenerates() {
        assertTrue(Files.isRegularFile(GENERATED), GENERATED + " is missing: quarkus-kubernetes writes it at package time");
        List<JsonNode> generated = resources(GENERATED);
        assertEquals(List.of("Deployment", "Ingress", "Service"),
                generated.stream().map(n -> n.path("kind").asText()).toList());
        assertEquals(generated, resources(COMMITTED),
                COMMITTED + " differs from what the build generates: run docker/kubernetes/regenerate.sh and commit it");
    }
}
