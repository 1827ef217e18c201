package io.multimodalrag.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The persistent snapshot against a plain list, through every kind of change, old versions included. */
class KnowledgeBaseSnapshotTest {

    private static KnowledgeBaseEntry entry(int n, String hash) {
        return new KnowledgeBaseEntry("id-" + n, "image_database/" + n + ".jpg", "entry " + n, hash, "image/jpeg",
                Path.of("image_database/" + n + ".jpg"));
    }

    private static float[] vector(int n) {
        return new float[] {n, 1};
    }

    @Test
    void everyChangeAgreesWithAPlainListAndLeavesEarlierVersionsAsTheyWere() {
        Random random = new Random(3);
        KnowledgeBaseSnapshot snapshot = KnowledgeBaseSnapshot.of(List.of(), EmbeddingMatrix.empty(2));
        List<KnowledgeBaseEntry> reference = new ArrayList<>();
        List<KnowledgeBaseSnapshot> versions = new ArrayList<>();
        List<List<KnowledgeBaseEntry>> versionEntries = new ArrayList<>();
        int next = 0;
        for (int step = 0; step < 600; step++) {
            int kind = random.nextInt(10);
            if (reference.isEmpty() || kind < 5) {
                // A few images share content, as two lines of description.jsonl may.
                String hash = "hash-" + (random.nextInt(4) == 0 ? random.nextInt(5) : 100 + next);
                KnowledgeBaseEntry added = entry(next, hash);
                snapshot = snapshot.plus(added, vector(next));
                reference.add(added);
                next++;
            } else if (kind < 7) {
                int row = random.nextInt(reference.size());
                KnowledgeBaseEntry old = reference.get(row);
                KnowledgeBaseEntry edited = new KnowledgeBaseEntry(old.id(), old.imagePath(), "edited " + step,
                        old.contentHash(), old.mediaType(), old.file());
                snapshot = snapshot.with(row, edited);
                reference.set(row, edited);
            } else {
                int row = random.nextInt(reference.size());
                snapshot = snapshot.minus(row);
                reference.remove(row);
            }
            if (step % 50 == 0) {
                versions.add(snapshot);
                versionEntries.add(new ArrayList<>(reference));
            }
            assertAgrees(snapshot, reference);
        }
        for (int v = 0; v < versions.size(); v++) {
            assertAgrees(versions.get(v), versionEntries.get(v));
        }
    }

    @Test
    void anEditKeepsIdAndContent() {
        KnowledgeBaseSnapshot snapshot = KnowledgeBaseSnapshot.of(List.of(entry(1, "a")),
                EmbeddingMatrix.of(vector(1), 2));
        assertThrows(IllegalArgumentException.class, () -> snapshot.with(0, entry(2, "a")));
        assertThrows(IllegalArgumentException.class, () -> snapshot.with(0, entry(1, "b")));
        assertThrows(IllegalArgumentException.class,
                () -> KnowledgeBaseSnapshot.of(List.of(entry(1, "a")), EmbeddingMatrix.empty(2)));
    }

    private static void assertAgrees(KnowledgeBaseSnapshot snapshot, List<KnowledgeBaseEntry> reference) {
        assertEquals(reference, snapshot.entries());
        assertEquals(reference.size(), snapshot.matrix().rows());
        for (int row = 0; row < reference.size(); row++) {
            KnowledgeBaseEntry expected = reference.get(row);
            assertEquals(OptionalInt.of(row), snapshot.rowOf(expected.id()), expected.id());
            assertTrue(snapshot.hasId(expected.id()));
            assertEquals(Integer.parseInt(expected.id().substring(3)), (int) snapshot.matrix().row(row)[0],
                    "row " + row + " holds the entry's embedding");
            Optional<KnowledgeBaseEntry> first = reference.stream()
                    .filter(e -> e.contentHash().equals(expected.contentHash())).findFirst();
            Optional<KnowledgeBaseEntry> found = snapshot.withContent(expected.contentHash());
            assertTrue(found.isPresent() && found.get().contentHash().equals(expected.contentHash()),
                    expected.contentHash());
            assertTrue(reference.contains(found.get()), "an entry of this snapshot: " + found + " first: " + first);
            assertTrue(snapshot.hasContent(expected.contentHash()));
            assertTrue(snapshot.namesFile(expected.file()));
        }
        assertFalse(snapshot.hasId("id-none"));
        assertEquals(OptionalInt.empty(), snapshot.rowOf("id-none"));
        assertEquals(Optional.empty(), snapshot.withContent("hash-none"));
        assertFalse(snapshot.namesFile(Path.of("image_database/none.jpg")));
        assertFalse(snapshot.hasContent("hash-none"));
    }
}
