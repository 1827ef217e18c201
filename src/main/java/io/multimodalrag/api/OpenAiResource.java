package io.multimodalrag.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import io.multimodalrag.clip.ClipModel;
import io.multimodalrag.clip.ModelLoader;
import io.multimodalrag.clip.TextEncoder;
import io.quarkus.runtime.annotations.RegisterForReflection;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * The service as an OpenAI-compatible embeddings provider for CLIP's shared space: {@code POST /v1/embeddings}
 * (OpenAI's CreateEmbeddingRequest for text, answered with CreateEmbeddingResponse; {@link EmbeddingResource} holds
 * its path and hands it here) and {@code GET /v1/models}, so that
 * OpenAI's client libraries, LangChain, LlamaIndex and Spring AI can embed queries whose vectors search the images.
 * Refusals are the service's problem+json with an {@code error} member in OpenAI's shape ({@link ProblemMapper}).
 */
@Path("/v1/models")
public class OpenAiResource {

    static final String EXAMPLE = "{\"model\": \"<an id from GET /v1/models>\", \"input\": \"a red motorcycle\"}";
    private static final Set<String> MEMBERS = Set.of("input", "model", "encoding_format", "dimensions", "user");

    private final TextEncoder textEncoder;
    private final ModelLoader models;
    private final TextFields texts;
    private final long startedSeconds = System.currentTimeMillis() / 1000;

    public OpenAiResource(TextEncoder textEncoder, ModelLoader models, TextFields texts) {
        this.textEncoder = textEncoder;
        this.models = models;
        this.texts = texts;
    }

    /** OpenAI's CreateEmbeddingRequest; token arrays are refused (the service tokenizes itself). */
    @Schema(name = "CreateEmbeddingRequest")
    public record EmbeddingRequest(
            @Schema(oneOf = {String.class, String[].class}, required = true, examples = "a red motorcycle",
                    description = "one text, or a list of texts") JsonNode input,
            @Schema(required = true, description = "an id from GET /v1/models: the text tower") String model,
            @JsonProperty("encoding_format") @Schema(enumeration = {"float", "base64"},
                    description = "float (default), or base64: the little-endian float32 bytes") String encodingFormat,
            @Schema(description = "accepted only as the tower's own dimension count") Integer dimensions,
            @Schema(description = "accepted and ignored") String user) {
    }

    /** One embedding: a list of floats, or their little-endian float32 bytes in base64. */
    @RegisterForReflection
    public record Embedding(String object, int index,
            @Schema(oneOf = {float[].class, String.class}) Object embedding) {
    }

    @RegisterForReflection
    public record Usage(@JsonProperty("prompt_tokens") int promptTokens, @JsonProperty("total_tokens") int totalTokens) {
    }

    /** OpenAI's CreateEmbeddingResponse. */
    @Schema(name = "CreateEmbeddingResponse")
    public record Embeddings(String object, List<Embedding> data, String model, Usage usage) {
    }

    /** OpenAI's Model. */
    @RegisterForReflection
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Model(String id, String object, long created, @JsonProperty("owned_by") String ownedBy) {
    }

    /** OpenAI's ListModelsResponse. */
    @Schema(name = "ListModelsResponse")
    public record Models(String object, List<Model> data) {
    }

    /** {@code POST /v1/embeddings}, which {@link EmbeddingResource} receives (its path) and hands on. */
    Uni<Embeddings> embeddings(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw ApiException.badField("the body must be a JSON object such as " + EXAMPLE);
        }
        for (Iterator<String> names = body.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!MEMBERS.contains(name)) {
                throw ApiException.badField("unrecognized request argument '" + RequestFields.abbreviate(name)
                        + "'; an embeddings request holds " + String.join(", ", MEMBERS.stream().sorted().toList()));
            }
        }
        ClipModel model = models.require();
        String tower = model.text().name();
        JsonNode modelName = body.path("model");
        if (!modelName.isTextual() || modelName.textValue().isBlank()) {
            throw ApiException.badField("'model' is missing; send \"model\": \"" + tower + "\" (GET /v1/models)");
        }
        if (!modelName.textValue().equals(tower)) {
            throw ApiException.unknownModel("this service embeds text with '" + tower + "', not '"
                    + RequestFields.abbreviate(modelName.textValue()) + "' (GET /v1/models lists what it serves)");
        }
        boolean base64 = encoding(body.path("encoding_format"));
        JsonNode dimensions = body.path("dimensions");
        if (!dimensions.isMissingNode() && !dimensions.isNull()
                && (!dimensions.canConvertToExactIntegral() || dimensions.asLong() != model.dimensions())) {
            throw ApiException.badField("'dimensions' must be " + model.dimensions() + ", the size of " + tower
                    + "'s embeddings, or left out; CLIP's vectors cannot be shortened");
        }
        if (!body.path("user").isMissingNode() && !body.path("user").isTextual()) {
            throw ApiException.badField("'user' must be a string");
        }
        JsonNode input = body.get("input");
        if (input != null && input.isArray() && !input.isEmpty() && !input.get(0).isTextual() && !input.get(0).isNull()) {
            throw ApiException.badField("'input' must be a string or a list of strings; token arrays are not accepted,"
                    + " the service tokenizes the text itself");
        }
        List<String> inputs = texts.requireOneOrMore("input", input, EXAMPLE);
        return textEncoder.embed(inputs).map(embedded -> {
            List<Embedding> data = new ArrayList<>(embedded.vectors().size());
            for (int i = 0; i < embedded.vectors().size(); i++) {
                float[] vector = embedded.vectors().get(i);
                data.add(new Embedding("embedding", i, base64 ? base64(vector) : vector));
            }
            return new Embeddings("list", data, tower, new Usage(embedded.tokens(), embedded.tokens()));
        });
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "The models this service embeds with (OpenAI's ListModelsResponse)")
    public Models models() {
        ClipModel model = models.require();
        Set<String> ids = new LinkedHashSet<>();
        if (model.hasTextTower()) {
            ids.add(model.text().name());
        }
        ids.add(model.name());
        return new Models("list", ids.stream().map(id -> new Model(id, "model", startedSeconds, "multimodal-rag")).toList());
    }

    /** Whether the embeddings go as base64. */
    private static boolean encoding(JsonNode format) {
        if (format.isMissingNode() || format.isNull() || (format.isTextual() && format.textValue().equals("float"))) {
            return false;
        }
        if (format.isTextual() && format.textValue().equals("base64")) {
            return true;
        }
        throw ApiException.badField("'encoding_format' must be \"float\" or \"base64\", got "
                + RequestFields.abbreviate(format.toString()));
    }

    /** The vector's float32 values, little-endian, in base64: what OpenAI's clients decode. */
    private static String base64(float[] vector) {
        ByteBuffer bytes = ByteBuffer.allocate(vector.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(vector);
        return Base64.getEncoder().encodeToString(bytes.array());
    }
}
