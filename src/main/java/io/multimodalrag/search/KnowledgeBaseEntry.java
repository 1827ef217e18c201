package io.multimodalrag.search;

import java.nio.file.Path;

/**
 * One image of the knowledge base.
 *
 * @param id          stable, URL-safe identifier derived from the image's file name
 * @param imagePath   the path as written in description.jsonl, relative to that file
 * @param description what the knowledge base knows about the image
 * @param contentHash hex SHA-256 of the image file
 * @param mediaType   the image's MIME type, sniffed from its first bytes
 * @param file        where the image lives on disk, in the files store; null where the store keeps the bytes itself
 */
public record KnowledgeBaseEntry(String id, String imagePath, String description, String contentHash,
        String mediaType, Path file) {

    /** This entry with another description. */
    public KnowledgeBaseEntry withDescription(String newDescription) {
        return new KnowledgeBaseEntry(id, imagePath, newDescription, contentHash, mediaType, file);
    }
}
