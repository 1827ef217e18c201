package io.multimodalrag.api;

import io.multimodalrag.answer.Answer;
import io.multimodalrag.answer.AnswerEvent;
import io.multimodalrag.answer.AnswerService;
import io.multimodalrag.answer.ChatCompletionUsage;
import io.multimodalrag.search.SearchHit;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.quarkus.runtime.annotations.RegisterForReflection;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * Questions about a photo, answered by the vision LLM from the knowledge base's descriptions of the
 * most similar images. {@code Accept: text/event-stream} streams the answer.
 */
@Path("/v1/ask")
public class AskResource {

    private final AnswerService answers;
    private final ProblemMapper problems;

    public AskResource(AnswerService answers, ProblemMapper problems) {
        this.answers = answers;
        this.problems = problems;
    }

    /** The form of a question. */
    @RegisterForReflection
    public record AskForm(
            @Schema(type = SchemaType.STRING, format = "binary", required = true,
                    description = MultipartBodies.IMAGE_PART) byte[] image,
            @Schema(type = SchemaType.STRING, required = true, maxLength = RequestFields.MAX_QUESTION_LENGTH,
                    examples = "What is the capacity of this item?", description = "the question about the photo") String question,
            @Schema(type = SchemaType.INTEGER, minimum = "1", maximum = "100", defaultValue = "2",
                    description = "how many knowledge-base images to ground the answer in") String k,
            @Schema(type = SchemaType.NUMBER, minimum = "-1", maximum = "1", defaultValue = "-1",
                    description = "lowest cosine similarity of a grounding image") String minScore) {
    }

    /** A knowledge-base image the answer was grounded in. */
    public record Source(String id, String imagePath, String description, float score) {
        static List<Source> of(List<SearchHit> hits) {
            return hits.stream()
                    .map(hit -> new Source(hit.entry().id(), hit.entry().imagePath(), hit.entry().description(), hit.score()))
                    .toList();
        }
    }

    /** Tokens billed by the LLM; null counts when it did not say. */
    public record Usage(Integer promptTokens, Integer completionTokens) {
        static Usage of(ChatCompletionUsage usage) {
            return usage == null ? new Usage(null, null) : new Usage(usage.promptTokens(), usage.completionTokens());
        }
    }

    /** The answer, its sources best first (empty when none matched), the model, usage and time taken. */
    public record AskResponse(String answer, List<Source> sources, String model, Usage usage, long tookMs) {
        static AskResponse of(Answer answer) {
            return new AskResponse(answer.text(), Source.of(answer.sources()), answer.model(), Usage.of(answer.usage()),
                    answer.tookMs());
        }
    }

    /** The data of a {@code sources} event: the references found; the vision LLM is being asked. */
    public record Sources(List<Source> sources) {
    }

    /** The data of a {@code delta} event. */
    public record Delta(String text) {
    }

    @POST
    @Consumes(MediaType.MULTIPART_FORM_DATA)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Answer a question about a photo from the knowledge base's most similar images")
    public Uni<AskResponse> ask(AskForm form) {
        return answers.ask(question(form)).map(AskResponse::of);
    }

    /**
     * The same answer as server-sent events: one {@code sources} event once the photo is searched
     * ({@code {"sources": [...]}}, the vision LLM is asked next), {@code delta} events ({@code {"text": ...}}) in
     * order, then one {@code done} event holding the whole {@link AskResponse}. A failure detected before
     * the stream starts is an ordinary problem response; one after it ends the stream with an
     * {@code error} event holding the problem.
     */
    @POST
    @Consumes(MediaType.MULTIPART_FORM_DATA)
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @Operation(summary = "Answer a question about a photo, streamed as server-sent events")
    public Multi<OutboundSseEvent> askStreaming(AskForm form, @Context Sse sse) {
        SpanContext trace = Span.current().getSpanContext(); // the error event may be written from another thread
        return answers.askStreaming(question(form))
                .map(event -> event(sse, event))
                .onFailure().recoverWithItem(failure -> event(sse, "error", problems.problem(failure, trace)));
    }

    /** Validates the form before any work; the LLM's configuration is checked before the photo is embedded. */
    private AnswerService.Question question(AskForm form) {
        String text = RequestFields.question(form.question());
        int topK = RequestFields.k(form.k(), 2);
        float threshold = RequestFields.minScore(form.minScore());
        answers.requireConfigured();
        return new AnswerService.Question(form.image(), text, topK, threshold);
    }

    private static OutboundSseEvent event(Sse sse, AnswerEvent event) {
        if (event instanceof AnswerEvent.Retrieved retrieved) {
            return event(sse, "sources", new Sources(Source.of(retrieved.sources())));
        }
        if (event instanceof AnswerEvent.TextDelta delta) {
            return event(sse, "delta", new Delta(delta.text()));
        }
        return event(sse, "done", AskResponse.of(((AnswerEvent.Completed) event).answer()));
    }

    private static OutboundSseEvent event(Sse sse, String name, Object data) {
        return sse.newEventBuilder().name(name).mediaType(MediaType.APPLICATION_JSON_TYPE).data(data).build();
    }
}
