package io.multimodalrag.search;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.pcollections.HashTreePMap;
import org.pcollections.PMap;
import org.pcollections.PVector;
import org.pcollections.TreePVector;

/**
 * The knowledge base as searches see it: its entries in catalogue order (description.jsonl's, or the database's)
 * and the matrix of their embeddings, row {@code i} belonging to entry {@code i}. Never mutated. A change returns a
 * new snapshot that shares nearly all of this one: the entries and the indexes by id and content are persistent
 * collections (pcollections), and the {@link EmbeddingMatrix} shares its segments, so a write costs O(log n) here
 * rather than a copy of every entry and a rebuild of two maps (at a million entries, a few hundred milliseconds a write).
 *
 * <p>Rows shift when an entry is removed, so the indexes do not hold rows: every entry gets a number in the order it
 * came (ascending along the rows), and an entry's row is found by binary search over those numbers.
 */
public final class KnowledgeBaseSnapshot {

    private final PVector<KnowledgeBaseEntry> entries;
    /** Each row's number, ascending. */
    private final PVector<Long> numbers;
    private final PMap<String, Long> numberById;
    /** The number of the first entry of each content hash. */
    private final PMap<String, Long> numberByContent;
    /** How many entries have each content hash (description.jsonl may list the same image under two paths). */
    private final PMap<String, Integer> contentCount;
    /** How many entries name each file (one, as loading and adding keep it; counted so that a removal need not look). */
    private final PMap<Path, Integer> fileCount;
    private final long nextNumber;
    private final EmbeddingMatrix matrix;

    private KnowledgeBaseSnapshot(PVector<KnowledgeBaseEntry> entries, PVector<Long> numbers,
            PMap<String, Long> numberById, PMap<String, Long> numberByContent, PMap<String, Integer> contentCount,
            PMap<Path, Integer> fileCount, long nextNumber, EmbeddingMatrix matrix) {
        this.entries = entries;
        this.numbers = numbers;
        this.numberById = numberById;
        this.numberByContent = numberByContent;
        this.contentCount = contentCount;
        this.fileCount = fileCount;
        this.nextNumber = nextNumber;
        this.matrix = matrix;
    }

    static KnowledgeBaseSnapshot empty() {
        return new KnowledgeBaseSnapshot(TreePVector.empty(), TreePVector.empty(), HashTreePMap.empty(),
                HashTreePMap.empty(), HashTreePMap.empty(), HashTreePMap.empty(), 0, EmbeddingMatrix.empty(1));
    }

    /**
     * The snapshot of {@code entries} listed without embeddings, while no model can embed them: listed, shown and
     * edited, never searched (its matrix is a column of zeros, one per entry, so that removals keep rows in step).
     */
    static KnowledgeBaseSnapshot catalogue(List<KnowledgeBaseEntry> entries) {
        return of(entries, EmbeddingMatrix.of(new float[entries.size()], 1));
    }

    /** The snapshot of {@code entries} (ids unique) with their embeddings, row by row. */
    static KnowledgeBaseSnapshot of(List<KnowledgeBaseEntry> entries, EmbeddingMatrix matrix) {
        if (entries.size() != matrix.rows()) {
            throw new IllegalArgumentException(entries.size() + " entries for " + matrix.rows() + " rows");
        }
        PVector<Long> numbers = TreePVector.empty();
        PMap<String, Long> byId = HashTreePMap.empty();
        PMap<String, Long> byContent = HashTreePMap.empty();
        PMap<String, Integer> counts = HashTreePMap.empty();
        PMap<Path, Integer> files = HashTreePMap.empty();
        long number = 0;
        for (KnowledgeBaseEntry entry : entries) {
            numbers = numbers.plus(number);
            byId = byId.plus(entry.id(), number);
            if (!byContent.containsKey(entry.contentHash())) {
                byContent = byContent.plus(entry.contentHash(), number);
            }
            counts = counts.plus(entry.contentHash(), counts.getOrDefault(entry.contentHash(), 0) + 1);
            files = counted(files, entry.file(), 1);
            number++;
        }
        return new KnowledgeBaseSnapshot(TreePVector.from(entries), numbers, byId, byContent, counts, files, number,
                matrix);
    }

    /** The entries, row by row; an unmodifiable list with O(log n) access. */
    public List<KnowledgeBaseEntry> entries() {
        return entries;
    }

    /** The embeddings, row {@code i} belonging to {@code entries().get(i)}. */
    public EmbeddingMatrix matrix() {
        return matrix;
    }

    /** The row of the entry with this id. */
    OptionalInt rowOf(String id) {
        Long number = numberById.get(id);
        return number == null ? OptionalInt.empty() : OptionalInt.of(rowOfNumber(number));
    }

    /** Whether an entry has this id. */
    boolean hasId(String id) {
        return numberById.containsKey(id);
    }

    /** The first entry whose image has this content hash. */
    Optional<KnowledgeBaseEntry> withContent(String contentHash) {
        Long number = numberByContent.get(contentHash);
        return number == null ? Optional.empty() : Optional.of(entries.get(rowOfNumber(number)));
    }

    /** This snapshot with {@code entry} (an id not in it) appended, its embedding the last row. */
    KnowledgeBaseSnapshot plus(KnowledgeBaseEntry entry, float[] embedding) {
        String hash = entry.contentHash();
        return new KnowledgeBaseSnapshot(entries.plus(entry), numbers.plus(nextNumber),
                numberById.plus(entry.id(), nextNumber),
                numberByContent.containsKey(hash) ? numberByContent : numberByContent.plus(hash, nextNumber),
                contentCount.plus(hash, contentCount.getOrDefault(hash, 0) + 1),
                counted(fileCount, entry.file(), 1), nextNumber + 1,
                matrix.withRowsAppended(embedding));
    }

    /** This snapshot with the entry of {@code row} replaced by {@code entry}, which has the same id and content. */
    KnowledgeBaseSnapshot with(int row, KnowledgeBaseEntry entry) {
        KnowledgeBaseEntry old = entries.get(row);
        if (!old.id().equals(entry.id()) || !old.contentHash().equals(entry.contentHash())) {
            throw new IllegalArgumentException("an entry keeps its id and content: " + old.id() + " → " + entry.id());
        }
        if (!java.util.Objects.equals(old.file(), entry.file())) {
            throw new IllegalArgumentException("an entry keeps its file: " + old.file() + " → " + entry.file());
        }
        return new KnowledgeBaseSnapshot(entries.with(row, entry), numbers, numberById, numberByContent, contentCount,
                fileCount, nextNumber, matrix);
    }

    /** This snapshot without the entry of {@code row}; the rows after it move up by one. */
    KnowledgeBaseSnapshot minus(int row) {
        KnowledgeBaseEntry old = entries.get(row);
        long number = numbers.get(row);
        String hash = old.contentHash();
        int count = contentCount.getOrDefault(hash, 1) - 1;
        PVector<KnowledgeBaseEntry> keptEntries = entries.minus(row);
        PVector<Long> keptNumbers = numbers.minus(row);
        PMap<String, Long> byContent = numberByContent;
        if (count == 0) {
            byContent = byContent.minus(hash);
        } else if (Long.valueOf(number).equals(byContent.get(hash))) {
            // Another entry has the same image: it becomes the one duplicates are reported against (rare: O(n)).
            for (int r = 0; r < keptEntries.size(); r++) {
                if (keptEntries.get(r).contentHash().equals(hash)) {
                    byContent = byContent.plus(hash, keptNumbers.get(r));
                    break;
                }
            }
        }
        return new KnowledgeBaseSnapshot(keptEntries, keptNumbers, numberById.minus(old.id()), byContent,
                count == 0 ? contentCount.minus(hash) : contentCount.plus(hash, count),
                counted(fileCount, old.file(), -1), nextNumber,
                matrix.withoutRow(row));
    }

    /** Whether an entry has this content hash. */
    boolean hasContent(String contentHash) {
        return contentCount.containsKey(contentHash);
    }

    /** Whether an entry names this file. */
    boolean namesFile(Path file) {
        return fileCount.containsKey(file);
    }

    /** {@code counts} with {@code file}'s count changed by {@code delta}, gone at zero; unchanged for no file. */
    private static PMap<Path, Integer> counted(PMap<Path, Integer> counts, Path file, int delta) {
        if (file == null) {
            return counts; // an image kept by the store itself, not in a file
        }
        int count = counts.getOrDefault(file, 0) + delta;
        return count <= 0 ? counts.minus(file) : counts.plus(file, count);
    }

    /** The row whose number is {@code number}, which is in this snapshot: binary search over the ascending numbers. */
    private int rowOfNumber(long number) {
        int low = 0;
        int high = numbers.size() - 1;
        while (low <= high) {
            int middle = (low + high) >>> 1;
            long found = numbers.get(middle);
            if (found < number) {
                low = middle + 1;
            } else if (found > number) {
                high = middle - 1;
            } else {
                return middle;
            }
        }
        throw new IllegalStateException("entry number " + number + " is not in the snapshot");
    }
}
