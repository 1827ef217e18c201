package io.multimodalrag.answer;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.rest.client.reactive.ClientExceptionMapper;
import io.quarkus.rest.client.reactive.jackson.ClientObjectMapper;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.rest.client.annotation.RegisterClientHeaders;
import org.eclipse.microprofile.rest.client.inject.RegisterRestClient;
import org.jboss.resteasy.reactive.RestStreamElementType;

/**
 * The OpenAI-compatible chat-completions API of the vision LLM (OpenAI, a gateway, vLLM, Ollama).
 * Its base URL is {@code quarkus.rest-client.vision-llm.url}; the bearer token comes from
 * {@link BearerAuthorization}, the timeouts from {@link VisionLlmTimeouts}. Every non-2xx answer
 * fails the call with an {@link UpstreamException}.
 */
@RegisterRestClient(configKey = "vision-llm")
@RegisterClientHeaders(BearerAuthorization.class)
@Path("")
public interface VisionChatClient {

    /** One chat completion as one JSON body. */
    @POST
    @Path("chat/completions")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    Uni<ChatCompletionResponse> complete(ChatCompletionRequest request);

    /**
     * One chat completion as server-sent events, one chunk per event; the request must have
     * {@code stream: true} ({@link ChatCompletionRequest#streaming()}). Cancelling the subscription
     * closes the connection. A chunk that is not a JSON chat-completion chunk fails the stream with
     * an {@link UpstreamException} of kind MALFORMED; {@code [DONE]} is {@link ChatCompletionChunk#DONE}.
     */
    default Multi<ChatCompletionChunk> stream(ChatCompletionRequest request) {
        return streamEvents(request).map(ChatCompletionChunk::parse);
    }

    /**
     * The raw {@code data} of each event of {@link #stream}, {@code [DONE]} included: it is how a
     * complete stream is told from one cut off. Chunks are parsed by our code rather than by the
     * client because the client throws a chunk it cannot parse on the event loop instead of failing
     * the stream (quarkusio/quarkus#37601), so a broken stream would look complete.
     */
    @POST
    @Path("chat/completions")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RestStreamElementType(MediaType.TEXT_PLAIN)
    Multi<String> streamEvents(ChatCompletionRequest request);

    @ClientExceptionMapper
    static RuntimeException toException(Response response) {
        return UpstreamFailureClassifier.fromResponse(response);
    }

    /** The service's mapper without its strictness about requests: what an upstream sends is read as it comes. */
    @ClientObjectMapper
    static ObjectMapper objectMapper(ObjectMapper defaultObjectMapper) {
        return defaultObjectMapper.copy().disable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    }
}
