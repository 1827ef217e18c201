package io.multimodalrag.api;

import io.multimodalrag.search.KnowledgeBase;
import io.multimodalrag.search.KnowledgeBaseEntry;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.jboss.resteasy.reactive.RestPath;
import org.jboss.resteasy.reactive.RestQuery;
import org.jboss.resteasy.reactive.RestResponse;

/** Browsing the knowledge base: entries, page by page, and their images. */
@Path("/v1/images")
public class ImageResource {

    private static final int MAX_PAGE_SIZE = 100;

    private final KnowledgeBase knowledgeBase;

    public ImageResource(KnowledgeBase knowledgeBase) {
        this.knowledgeBase = knowledgeBase;
    }

    /** A knowledge-base entry as clients see it. */
    public record ImageEntry(String id, String imagePath, String description, String mediaType, String contentUrl) {
        static ImageEntry of(KnowledgeBaseEntry entry) {
            return new ImageEntry(entry.id(), entry.imagePath(), entry.description(), entry.mediaType(),
                    "/v1/images/" + entry.id() + "/content");
        }
    }

    /** One page of entries, in the order of description.jsonl. */
    public record ImagePage(List<ImageEntry> items, int page, int size, int total) {
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "List the knowledge base, page by page (page from 0, size 1 to 100)")
    public ImagePage list(@RestQuery("page") String page, @RestQuery("size") String size) {
        int pageNumber = RequestFields.bounded("page", page, 0, 0, Integer.MAX_VALUE);
        int pageSize = RequestFields.bounded("size", size, 20, 1, MAX_PAGE_SIZE);
        List<KnowledgeBaseEntry> entries = knowledgeBase.snapshot().entries();
        long from = Math.min((long) pageNumber * pageSize, entries.size());
        int to = (int) Math.min(from + pageSize, entries.size());
        return new ImagePage(entries.subList((int) from, to).stream().map(ImageEntry::of).toList(), pageNumber, pageSize,
                entries.size());
    }

    @GET
    @Path("/{id}")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "One knowledge-base entry")
    public ImageEntry get(@RestPath String id) {
        return ImageEntry.of(entry(id));
    }

    @GET
    @Path("/{id}/content")
    @Operation(summary = "The entry's image bytes, with their content type")
    public RestResponse<java.nio.file.Path> content(@RestPath String id) {
        KnowledgeBaseEntry entry = entry(id);
        // The file is sent by the server without blocking; the ETag is the content hash.
        return RestResponse.ResponseBuilder.ok(entry.file(), entry.mediaType())
                .header("ETag", "\"" + entry.contentHash() + "\"")
                .header("Cache-Control", "no-cache")
                .build();
    }

    private KnowledgeBaseEntry entry(String id) {
        return knowledgeBase.find(id).orElseThrow(() -> ApiException.notFound("no knowledge-base image with id '"
                + (id.length() > 64 ? id.substring(0, 64) + "…" : id) + "'"));
    }
}
