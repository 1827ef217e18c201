package io.multimodalrag.api;

import io.multimodalrag.testing.TestFiles;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A fresh copy of the demo knowledge base (description.jsonl and image_database/) in the folder given as init
 * argument {@code dir}, made before the service starts, for tests that write to it: the repository's own files are
 * never changed.
 */
public class DemoKnowledgeBaseCopy implements QuarkusTestResourceLifecycleManager {

    private Path dir;

    @Override
    public void init(Map<String, String> initArgs) {
        dir = Path.of(initArgs.get("dir"));
    }

    @Override
    public Map<String, String> start() {
        try {
            TestFiles.deleteRecursively(dir);
            Files.createDirectories(dir.resolve("image_database"));
            Files.copy(Path.of("description.jsonl"), dir.resolve("description.jsonl"));
            try (Stream<Path> images = Files.list(Path.of("image_database"))) {
                for (Path image : images.toList()) {
                    Files.copy(image, dir.resolve("image_database").resolve(image.getFileName()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Map.of("rag.knowledge-base.descriptions", dir.resolve("description.jsonl").toString());
    }

    @Override
    public void stop() {
    }
}
