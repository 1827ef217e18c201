package io.multimodalrag.clip;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One file of a model manifest: where it is in the repository, where it goes in the model folder,
 * and how to recognise it.
 *
 * @param variant {@code fp32}, {@code int8}, ... or {@link Manifest#ALL_VARIANTS} when every variant needs it
 * @param role what the file is for ({@code vision}, {@code text}, {@code tokenizer}, ...)
 * @param path path inside the repository, as it appears in the download URL
 * @param target path relative to the model folder
 * @param size size in bytes, when known
 * @param sha256 lower-case hex SHA-256 of the whole file, when pinned
 */
public record ModelFile(
        String variant, String role, String path, String target, OptionalLong size, Optional<String> sha256) {

    public ModelFile {
        Objects.requireNonNull(variant, "variant");
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(size, "size");
        Objects.requireNonNull(sha256, "sha256");
    }

    /** Whether the variant named needs this file. */
    public boolean belongsTo(String wantedVariant) {
        return variant.equals(Manifest.ALL_VARIANTS) || variant.equals(wantedVariant);
    }
}
