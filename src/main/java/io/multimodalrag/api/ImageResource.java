package io.multimodalrag.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.multimodalrag.config.RagConfig;
import io.multimodalrag.search.KnowledgeBase;
import io.multimodalrag.search.KnowledgeBaseEntry;
import io.multimodalrag.search.StoredImage;
import io.quarkus.runtime.annotations.RegisterForReflection;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import java.util.Optional;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.jboss.resteasy.reactive.PathPart;
import org.jboss.resteasy.reactive.RestHeader;
import org.jboss.resteasy.reactive.RestPath;
import org.jboss.resteasy.reactive.RestQuery;
import org.jboss.resteasy.reactive.RestResponse;

/**
 * The knowledge base's images: browsing is open to all; adding, editing and deleting need the
 * admin role ({@code rag.admin.token}).
 */
@Path("/v1/images")
public class ImageResource {

    private static final int MAX_PAGE_SIZE = 100;

    private final KnowledgeBase knowledgeBase;
    private final int maxDescriptionLength;

    public ImageResource(KnowledgeBase knowledgeBase, RagConfig config) {
        this.knowledgeBase = knowledgeBase;
        this.maxDescriptionLength = config.upload().maxDescriptionLength();
    }

    /** The form that adds an image. */
    @RegisterForReflection
    public record NewImageForm(
            @Schema(type = SchemaType.STRING, format = "binary", required = true,
                    description = MultipartBodies.IMAGE_PART) byte[] image,
            @Schema(type = SchemaType.STRING, required = true, description = "what the image shows, as the LLM will read it")
            String description,
            @Schema(type = SchemaType.STRING, pattern = "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
                    description = "the entry's id; default: one made from the image's content") String id) {
    }

    /** The body of a description update; read as a JSON node so that a number or an object is a 400, not text. */
    public record DescriptionUpdate(
            @Schema(type = SchemaType.STRING, required = true, description = "what the image shows") JsonNode description) {
    }

    /** A knowledge-base entry as clients see it. */
    // Also sent inside the 409 problem body, a Map the native build cannot trace to this type.
    @RegisterForReflection
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
        knowledgeBase.requireBrowsable(); // never an empty page for a knowledge base that could not be read
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
    @Operation(summary = "The entry's image bytes, with their content type; If-None-Match gives 304, one byte Range 206")
    public RestResponse<Object> content(@RestPath String id, @RestHeader("If-None-Match") String ifNoneMatch,
            @RestHeader("Range") String range, @RestHeader("If-Range") String ifRange) {
        KnowledgeBaseEntry entry = entry(id);
        // The ETag is the content hash: the bytes cannot change under it.
        String etag = "\"" + entry.contentHash() + "\"";
        if (ifNoneMatch != null && ContentRanges.matchesAny(ifNoneMatch, etag)) {
            return RestResponse.ResponseBuilder.<Object>create(RestResponse.Status.NOT_MODIFIED).header("ETag", etag)
                    .header("Cache-Control", "no-cache").build();
        }
        StoredImage image = knowledgeBase.image(entry);
        long length = image.length();
        // A range only of exactly this content (If-Range absent or naming it); anything else gets the whole image.
        Optional<ContentRanges.Range> part = range == null || ifRange != null && !ifRange.strip().equals(etag)
                ? Optional.empty() : ContentRanges.single(range, length);
        RestResponse.ResponseBuilder<Object> response;
        if (part.isPresent() && part.get().unsatisfiable()) {
            return RestResponse.ResponseBuilder.<Object>create(416).type(Problem.MEDIA_TYPE)
                    .header("Content-Range", "bytes */" + length)
                    .entity(Problem.of(416, "range-not-satisfiable", "Range not satisfiable",
                            "the image has " + length + " bytes; ask for a range within them"))
                    .build();
        }
        if (part.isPresent()) {
            ContentRanges.Range r = part.get();
            // The file part is sent by the server without blocking, as the whole file is.
            response = RestResponse.ResponseBuilder.<Object>create(206).entity(part(image, r.first(), r.length()))
                    .header("Content-Range", "bytes " + r.first() + "-" + r.last() + "/" + length);
        } else {
            // A whole Path would have Quarkus apply the Range header to it itself, and send part of it as a 200.
            response = RestResponse.ResponseBuilder.<Object>ok(part(image, 0, length));
        }
        return response.type(entry.mediaType()).header("ETag", etag).header("Accept-Ranges", "bytes")
                .header("Cache-Control", "no-cache").build();
    }

    /** Bytes {@code first} to {@code first + length} of {@code image}, as the server sends them. */
    private static Object part(StoredImage image, long first, long length) {
        if (image instanceof StoredImage.InFile file) {
            return new PathPart(file.file(), first, length);
        }
        byte[] bytes = ((StoredImage.InMemory) image).bytes();
        return first == 0 && length == bytes.length ? bytes
                : java.util.Arrays.copyOfRange(bytes, (int) first, (int) (first + length));
    }

    @POST
    @Consumes(MediaType.MULTIPART_FORM_DATA)
    @Produces(MediaType.APPLICATION_JSON)
    @RolesAllowed(AdminTokenIdentityProvider.ADMIN)
    @Operation(summary = "Add an image with its description (admin); searchable at once")
    public Uni<RestResponse<ImageEntry>> add(NewImageForm form) {
        String text = description(form.description());
        Optional<String> requestedId = Optional.ofNullable(form.id()).map(String::strip).filter(s -> !s.isEmpty());
        requestedId.ifPresent(given -> {
            if (!KnowledgeBase.ID_PATTERN.matcher(given).matches()) {
                throw ApiException.badField("'id' must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit");
            }
        });
        // Hashing and the duplicate check take milliseconds for a large photo: off the event loop.
        // Location stays relative (RFC 9110 allows it): an absolute one would be built from the request's Host header.
        return Uni.createFrom().deferred(() -> knowledgeBase.add(form.image(), text, requestedId))
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                .map(entry -> RestResponse.ResponseBuilder.<ImageEntry>create(RestResponse.Status.CREATED)
                        .header("Location", "/v1/images/" + entry.id())
                        .entity(ImageEntry.of(entry)).build());
    }

    @PUT
    @Path("/{id}/description")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    @RolesAllowed(AdminTokenIdentityProvider.ADMIN)
    @Operation(summary = "Replace an image's description (admin)")
    public Uni<ImageEntry> updateDescription(@RestPath String id, DescriptionUpdate update) {
        if (update == null) {
            throw ApiException.badField("the body must be a JSON object such as {\"description\": \"a 20 L tank\"}");
        }
        JsonNode given = update.description();
        if (given != null && !given.isNull() && !given.isTextual()) {
            throw ApiException.badField("'description' must be a string, got " + given.getNodeType().toString()
                    .toLowerCase(java.util.Locale.ROOT));
        }
        String text = description(given == null || given.isNull() ? null : given.textValue());
        return Uni.createFrom().item(() -> ImageEntry.of(knowledgeBase.updateDescription(id, text)))
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
    }

    @DELETE
    @Path("/{id}")
    @Produces(MediaType.APPLICATION_JSON)
    @RolesAllowed(AdminTokenIdentityProvider.ADMIN)
    @Operation(summary = "Delete an image and its description (admin); returns the removed entry")
    public Uni<ImageEntry> delete(@RestPath String id) {
        return Uni.createFrom().item(() -> ImageEntry.of(knowledgeBase.remove(id)))
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
    }

    private String description(String description) {
        if (description == null || description.isBlank()) {
            throw ApiException.badField("'description' is missing or blank; say what the image shows");
        }
        String text = description.strip();
        if (text.length() > maxDescriptionLength) {
            throw ApiException.badField("'description' has " + text.length() + " characters; the limit is "
                    + maxDescriptionLength + " (rag.upload.max-description-length)");
        }
        if (text.indexOf('\0') >= 0) {
            throw ApiException.badField("'description' contains a NUL character");
        }
        return text;
    }

    private KnowledgeBaseEntry entry(String id) {
        knowledgeBase.requireBrowsable(); // not a 404 for every id while the knowledge base could not be read
        return knowledgeBase.find(id).orElseThrow(() -> ApiException.notFound("no knowledge-base image with id '"
                + (id.length() > 64 ? id.substring(0, 64) + "…" : id) + "'"));
    }
}
