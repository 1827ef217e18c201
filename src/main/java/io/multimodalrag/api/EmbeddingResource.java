package io.multimodalrag.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import io.multimodalrag.clip.ClipModel;
import io.multimodalrag.clip.ImageEncoder;
import io.multimodalrag.clip.ModelLoader;
import io.multimodalrag.clip.TextEncoder;
import io.multimodalrag.clip.TextTower;
import io.quarkus.runtime.annotations.RegisterForReflection;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;

/** CLIP embeddings for callers that keep their own index; image and text vectors share one space. */
@Path("/v1/embeddings")
public class EmbeddingResource {

    private static final String TEXT_EXAMPLE = "{\"input\": \"a red motorcycle\"} or {\"input\": [\"a cat\", \"a dog\"]}";

    private final ImageEncoder imageEncoder;
    private final TextEncoder textEncoder;
    private final ModelLoader models;
    private final TextFields texts;

    private final OpenAiResource openAi;

    public EmbeddingResource(ImageEncoder imageEncoder, TextEncoder textEncoder, ModelLoader models, TextFields texts,
            OpenAiResource openAi) {
        this.imageEncoder = imageEncoder;
        this.textEncoder = textEncoder;
        this.models = models;
        this.texts = texts;
        this.openAi = openAi;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "OpenAI-compatible text embeddings (CreateEmbeddingRequest → CreateEmbeddingResponse) in CLIP's"
            + " shared space, searchable against the images; refusals carry OpenAI's error object too")
    @RequestBody(content = @Content(schema = @Schema(implementation = OpenAiResource.EmbeddingRequest.class)))
    public Uni<OpenAiResource.Embeddings> openAi(JsonNode body) {
        return openAi.embeddings(body);
    }

    /** An L2-normalised embedding. */
    public record ImageEmbedding(float[] embedding, int dimensions, String model) {
    }

    /** The form of an image-embedding request. */
    @RegisterForReflection
    public record ImageEmbeddingForm(
            @Schema(type = SchemaType.STRING, format = "binary", required = true,
                    description = MultipartBodies.IMAGE_PART) byte[] image) {
    }

    /** The body of a text-embedding request: one text, or a list of texts. */
    public record TextEmbeddingRequest(
            @Schema(oneOf = {String.class, String[].class}, required = true, examples = "a red motorcycle",
                    description = "one text, or a list of texts; CLIP reads the first 77 tokens of each") JsonNode input) {
    }

    /** The embedding of the input at {@code index}, L2-normalised. */
    public record TextEmbedding(float[] embedding, int index) {
    }

    /**
     * One embedding per input, in input order, the text tower that made them, and when that tower cannot read the
     * inputs' language, a hint saying so (for the first input it concerns).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record TextEmbeddings(List<TextEmbedding> data, int dimensions, String model, TextTowerUsed textTower,
            String hint) {
        static TextEmbeddings of(List<float[]> vectors, String model, TextTower tower, List<String> inputs) {
            List<TextEmbedding> data = new ArrayList<>(vectors.size());
            for (int i = 0; i < vectors.size(); i++) {
                data.add(new TextEmbedding(vectors.get(i), i));
            }
            String hint = null;
            for (int i = 0; i < inputs.size() && hint == null; i++) {
                int index = i;
                hint = tower.hintFor(inputs.get(i)).map(h -> inputs.size() == 1 ? h : "input " + index + ": " + h)
                        .orElse(null);
            }
            return new TextEmbeddings(data, vectors.get(0).length, model, TextTowerUsed.of(tower), hint);
        }
    }

    @POST
    @Path("/image")
    @Consumes(MediaType.MULTIPART_FORM_DATA)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Embed an uploaded photo with CLIP (L2-normalised)")
    public Uni<ImageEmbedding> image(ImageEmbeddingForm form) {
        String model = models.require().name();
        return imageEncoder.encode(form.image()).map(vector -> new ImageEmbedding(vector, vector.length, model));
    }

    @POST
    @Path("/text")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Embed one or more texts with CLIP (L2-normalised, in the same space as images)")
    public Uni<TextEmbeddings> text(TextEmbeddingRequest request) {
        if (request == null) {
            throw ApiException.badField("the body must be a JSON object such as " + TEXT_EXAMPLE);
        }
        List<String> inputs = texts.requireOneOrMore("input", request.input(), TEXT_EXAMPLE);
        ClipModel model = models.require();
        TextTower tower = model.text();
        return textEncoder.encode(inputs).map(vectors -> TextEmbeddings.of(vectors, model.name(), tower, inputs));
    }
}
