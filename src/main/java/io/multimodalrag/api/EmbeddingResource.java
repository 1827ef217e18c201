package io.multimodalrag.api;

import io.multimodalrag.clip.ImageEncoder;
import io.multimodalrag.clip.ModelLoader;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.jboss.resteasy.reactive.RestForm;
import org.jboss.resteasy.reactive.multipart.FileUpload;

/** CLIP embeddings for callers that keep their own index. */
@Path("/v1/embeddings")
public class EmbeddingResource {

    private final ImageEncoder encoder;
    private final ModelLoader models;
    private final UploadedImage uploads;

    public EmbeddingResource(ImageEncoder encoder, ModelLoader models, UploadedImage uploads) {
        this.encoder = encoder;
        this.models = models;
        this.uploads = uploads;
    }

    /** An L2-normalised embedding. */
    public record ImageEmbedding(float[] embedding, int dimensions, String model) {
    }

    @POST
    @Path("/image")
    @Consumes(MediaType.MULTIPART_FORM_DATA)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Embed an uploaded photo with CLIP (L2-normalised)")
    public Uni<ImageEmbedding> image(@RestForm("image") FileUpload image) {
        java.nio.file.Path file = uploads.require(image);
        String model = models.require().name();
        return encoder.encode(file).map(vector -> new ImageEmbedding(vector, vector.length, model));
    }
}
