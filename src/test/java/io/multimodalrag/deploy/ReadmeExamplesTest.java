package io.multimodalrag.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * What a newcomer copies from the README works from a clean clone: every file its curl examples upload exists, and
 * the offline start is on its first screen.
 */
class ReadmeExamplesTest {

    /** curl's {@code -F name=@file} (an upload), with or without quotes. */
    private static final Pattern UPLOAD = Pattern.compile("-F '?[a-z]+=@([^\\s';]+)");

    @Test
    void everyUploadedFileExists() throws IOException {
        List<String> missing = new ArrayList<>();
        int uploads = 0;
        for (Path doc : List.of(Path.of("README.md"), Path.of("docs/ARCHITECTURE.md"), Path.of("onnx-models/README.md"))) {
            Matcher matcher = UPLOAD.matcher(Files.readString(doc));
            while (matcher.find()) {
                uploads++;
                if (!Files.isRegularFile(Path.of(matcher.group(1)))) {
                    missing.add(doc + ": " + matcher.group(1));
                }
            }
        }
        assertTrue(uploads >= 6, "the examples were found: " + uploads);
        assertEquals(List.of(), missing, "files the examples upload that a clone does not have");
    }

    @Test
    void theOfflineStartIsOnTheFirstScreen() throws IOException {
        List<String> firstScreen = Files.readAllLines(Path.of("README.md")).subList(0, 24);
        String text = String.join("\n", firstScreen);
        assertTrue(text.contains("./mvnw quarkus:dev\n") || text.contains("./mvnw quarkus:dev "), text);
        assertTrue(text.contains("./mvnw verify"), text);
        Matcher offline = Pattern.compile("\\./mvnw quarkus:dev -Drag\\.model\\.dir=(\\S+)").matcher(text);
        assertTrue(offline.find(), "the offline command: " + text);
        assertTrue(Files.isRegularFile(Path.of(offline.group(1), "vision_model.onnx"))
                || Files.isRegularFile(Path.of(offline.group(1), "onnx", "vision_model.onnx")),
                offline.group(1) + " holds a model");
    }

    @Test
    void theFirstBuildLogsNoDownloadProgress() throws IOException {
        // Maven's transfer progress is most of a first build's log (600 KB): off for every build in .mvn/maven.config.
        assertTrue(Files.readString(Path.of(".mvn/maven.config")).lines().anyMatch(line -> line.strip().equals("-ntp")));
    }
}
