package io.multimodalrag.api;

import io.multimodalrag.clip.TextTower;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * Which text tower embedded a text, in the answer of a text search or text embedding.
 *
 * @param name      the tower's model id (GET /v1/models)
 * @param languages {@code "en"} for CLIP's own tower, {@code "multilingual"} for a multilingual one
 */
@Schema(description = "the text tower that embedded the text")
public record TextTowerUsed(String name, @Schema(enumeration = {"en", "multilingual"}) String languages) {

    static TextTowerUsed of(TextTower tower) {
        return new TextTowerUsed(tower.name(), tower.multilingual() ? "multilingual" : "en");
    }
}
