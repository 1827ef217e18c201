package io.multimodalrag.api;

import io.multimodalrag.clip.ImageEncoder;
import io.multimodalrag.clip.ModelLoader;
import io.multimodalrag.search.KnowledgeBase;
import io.multimodalrag.search.SearchHit;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.jboss.resteasy.reactive.RestForm;
import org.jboss.resteasy.reactive.multipart.FileUpload;

/** Image → image search over the knowledge base. */
@Path("/v1/search")
public class SearchResource {

    private final ImageEncoder encoder;
    private final KnowledgeBase knowledgeBase;
    private final ModelLoader models;
    private final UploadedImage uploads;

    public SearchResource(ImageEncoder encoder, KnowledgeBase knowledgeBase, ModelLoader models, UploadedImage uploads) {
        this.encoder = encoder;
        this.knowledgeBase = knowledgeBase;
        this.models = models;
        this.uploads = uploads;
    }

    /** One search result. */
    public record SearchResult(String id, String imagePath, String description, float score) {
        static SearchResult of(SearchHit hit) {
            return new SearchResult(hit.entry().id(), hit.entry().imagePath(), hit.entry().description(), hit.score());
        }
    }

    /** Results best first, the model that embedded the query, and the time taken. */
    public record SearchResponse(List<SearchResult> results, String model, long tookMs) {
    }

    @POST
    @Consumes(MediaType.MULTIPART_FORM_DATA)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Find the knowledge-base images most similar to an uploaded photo")
    public Uni<SearchResponse> search(@RestForm("image") FileUpload image, @RestForm("k") String k,
            @RestForm("minScore") String minScore) {
        long started = System.nanoTime();
        java.nio.file.Path file = uploads.require(image);
        int topK = FormFields.k(k, 2);
        float threshold = FormFields.minScore(minScore);
        String model = models.require().name();
        return encoder.encode(file).map(query -> new SearchResponse(
                knowledgeBase.search(query, topK, threshold).stream().map(SearchResult::of).toList(),
                model, (System.nanoTime() - started) / 1_000_000));
    }
}
