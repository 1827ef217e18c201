package io.multimodalrag.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.multimodalrag.clip.ClipModel;
import io.multimodalrag.clip.ImageEncoder;
import io.multimodalrag.clip.ModelLoader;
import io.multimodalrag.clip.TextEncoder;
import io.multimodalrag.clip.TextTower;
import io.multimodalrag.search.KnowledgeBase;
import io.multimodalrag.search.SearchHit;
import io.quarkus.runtime.annotations.RegisterForReflection;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** Image → image and text → image search over the knowledge base. */
@Path("/v1/search")
public class SearchResource {

    private static final String TEXT_EXAMPLE = "{\"query\": \"battery generator\", \"k\": 5}";

    private final ImageEncoder imageEncoder;
    private final TextEncoder textEncoder;
    private final KnowledgeBase knowledgeBase;
    private final ModelLoader models;
    private final TextFields texts;

    public SearchResource(ImageEncoder imageEncoder, TextEncoder textEncoder, KnowledgeBase knowledgeBase,
            ModelLoader models, TextFields texts) {
        this.imageEncoder = imageEncoder;
        this.textEncoder = textEncoder;
        this.knowledgeBase = knowledgeBase;
        this.models = models;
        this.texts = texts;
    }

    /** One search result. */
    public record SearchResult(String id, String imagePath, String description, float score) {
        static SearchResult of(SearchHit hit) {
            return new SearchResult(hit.entry().id(), hit.entry().imagePath(), hit.entry().description(), hit.score());
        }
    }

    /**
     * Results best first, the model that embedded the query, and the time taken; for a text query also the text
     * tower that embedded it and, when that tower cannot read the query's language, a hint saying so.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record SearchResponse(List<SearchResult> results, String model, long tookMs, TextTowerUsed textTower,
            String hint) {
    }

    /** The form of an image search. */
    @RegisterForReflection
    public record ImageSearchForm(
            @Schema(type = SchemaType.STRING, format = "binary", required = true,
                    description = MultipartBodies.IMAGE_PART) byte[] image,
            @Schema(type = SchemaType.INTEGER, minimum = "1", maximum = "100", defaultValue = "2",
                    description = "how many results") String k,
            @Schema(type = SchemaType.NUMBER, minimum = "-1", maximum = "1", defaultValue = "-1",
                    description = "lowest cosine similarity returned") String minScore) {
    }

    /**
     * The body of a text search. Members are read as JSON nodes so that a wrong type is a 400 that
     * names the member, never a silent conversion (1.5 to 1, 5 to "5").
     */
    public record TextSearchRequest(
            @Schema(type = SchemaType.STRING, required = true, examples = "battery generator",
                    description = "what to look for; CLIP reads the first 77 tokens") JsonNode query,
            @Schema(type = SchemaType.INTEGER, minimum = "1", maximum = "100", defaultValue = "2",
                    description = "how many results") JsonNode k,
            @Schema(type = SchemaType.NUMBER, minimum = "-1", maximum = "1", defaultValue = "-1",
                    description = "lowest cosine similarity returned") JsonNode minScore) {
    }

    @POST
    @Consumes(MediaType.MULTIPART_FORM_DATA)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Find the knowledge-base images most similar to an uploaded photo")
    public Uni<SearchResponse> search(ImageSearchForm form) {
        long started = System.nanoTime();
        int topK = RequestFields.k(form.k(), 2);
        float threshold = RequestFields.minScore(form.minScore());
        String model = models.require().name();
        knowledgeBase.requireLoaded();
        return imageEncoder.encode(form.image()).map(query -> answer(query, topK, threshold, model, started));
    }

    @POST
    @Path("/text")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Find the knowledge-base images that best match a text (CLIP text → image)")
    public Uni<SearchResponse> searchText(TextSearchRequest request) {
        long started = System.nanoTime();
        if (request == null) {
            throw ApiException.badField("the body must be a JSON object such as " + TEXT_EXAMPLE);
        }
        String query = texts.require("query", request.query(), TEXT_EXAMPLE);
        int topK = RequestFields.k(request.k(), 2);
        float threshold = RequestFields.minScore(request.minScore());
        ClipModel model = models.require();
        TextTower tower = model.text();
        knowledgeBase.requireLoaded();
        return textEncoder.encode(query).map(vector -> {
            SearchResponse found = answer(vector, topK, threshold, model.name(), started);
            return new SearchResponse(found.results(), found.model(), found.tookMs(), TextTowerUsed.of(tower),
                    tower.hintFor(query).orElse(null));
        });
    }

    private SearchResponse answer(float[] query, int k, float minScore, String model, long started) {
        return new SearchResponse(knowledgeBase.search(query, k, minScore).stream().map(SearchResult::of).toList(),
                model, (System.nanoTime() - started) / 1_000_000, null, null);
    }
}
