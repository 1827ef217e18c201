package io.multimodalrag.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The README's configuration table lists every {@code rag.*} key the service reads, and no other. */
class ReadmeConfigurationTableTest {

    private static final Pattern TABLE_KEY = Pattern.compile("^\\| `(rag\\.[a-z0-9.-]+)` \\|", Pattern.MULTILINE);

    @Test
    void everyRagKeyIsInTheTable() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        Set<String> documented = new TreeSet<>();
        Matcher matcher = TABLE_KEY.matcher(readme);
        while (matcher.find()) {
            documented.add(matcher.group(1));
        }
        Set<String> configured = new TreeSet<>(ConfigurationKeys.ragKeys());
        List<String> missing = configured.stream().filter(k -> !documented.contains(k)).toList();
        List<String> unknown = documented.stream().filter(k -> !configured.contains(k)).toList();
        assertEquals(List.of(), missing, "RagConfig keys missing from the README's configuration table");
        assertEquals(List.of(), unknown, "README rows naming keys RagConfig does not have");
    }
}
