package io.multimodalrag.api;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import io.multimodalrag.answer.NoReferenceFoundException;
import io.multimodalrag.answer.UpstreamException;
import io.multimodalrag.answer.VisionLlmNotConfiguredException;
import io.multimodalrag.clip.ModelUnavailableException;
import io.multimodalrag.image.ImageDecodingException;
import io.multimodalrag.search.DuplicateEntryException;
import io.multimodalrag.search.ImportRefusedException;
import io.multimodalrag.search.KnowledgeBaseStorageException;
import io.multimodalrag.search.KnowledgeBaseUnavailableException;
import io.multimodalrag.search.UnknownEntryException;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import jakarta.inject.Singleton;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * Turns every failure into one {@code application/problem+json} shape, from one table: each kind of failure with
 * the problem (type, title, status, detail), the headers (Retry-After, WWW-Authenticate) and the body it is answered
 * with. Client errors carry a detail written for the client; unexpected failures are logged with a reference and
 * answered without internals (no class names, no stack traces, no paths). {@link #problem} reads the same table for a
 * failure that can no longer change the status, e.g. in the middle of an event stream.
 */
@Singleton
public class ProblemMapper {

    private static final Logger LOG = Logger.getLogger(ProblemMapper.class);
    private static final String CHALLENGE = "Bearer realm=\"multimodal-rag\"";
    /** The OpenAI-compatible endpoints, whose refusals carry OpenAI's error object too. */
    private static final Set<String> OPENAI_PATHS = Set.of("/v1/embeddings", "/v1/models");
    /** Jackson's message when STRICT_DUPLICATE_DETECTION finds a member twice ({@link StrictJson}). */
    private static final Pattern DUPLICATE_MEMBER = Pattern.compile("Duplicate field '(.*)'");

    /** How a failure is answered: its problem, the headers beside it, and the body (the problem, or more). */
    record Answer(Problem problem, Map<String, Object> headers, Object body) {
        static Answer of(Problem problem) {
            return new Answer(problem, Map.of(), problem);
        }

        static Answer of(int status, String slug, String title, String detail) {
            return of(Problem.of(status, slug, title, detail));
        }

        Answer header(String name, Object value) {
            Map<String, Object> more = new LinkedHashMap<>(headers);
            more.put(name, value);
            return new Answer(problem, more, body);
        }
    }

    /** One line of the table: the failures of {@code type} and their answer. */
    private record Rule<T extends Throwable>(Class<T> type, Function<T, Answer> answer) {
        Answer apply(Throwable failure) {
            return answer.apply(type.cast(failure));
        }
    }

    private final AdminTokenIdentityProvider adminTokens;
    private final String tooLargeDetail;
    private final List<Rule<?>> table;

    public ProblemMapper(AdminTokenIdentityProvider adminTokens, MultipartBodies uploads) {
        this.adminTokens = adminTokens;
        this.tooLargeDetail = "the request is over a size limit: the body may be at most " + uploads.maxBytes()
                + " bytes (rag.upload.max-size) and each text field of a form at most "
                + MultipartBodies.textFieldLimit() + " bytes";
        this.table = List.of(
                rule(ApiException.class, e -> e.retryAfterSeconds()
                        .map(seconds -> Answer.of(e.problem()).header("Retry-After", seconds))
                        .orElse(Answer.of(e.problem()))),
                rule(ImageDecodingException.class, e -> switch (e.reason()) {
                    case EMPTY, NOT_AN_IMAGE, UNSUPPORTED_FORMAT -> Answer.of(415, "unsupported-image",
                            "Not a supported image", e.getMessage());
                    case CORRUPT -> Answer.of(422, "undecodable-image", "Image cannot be decoded", e.getMessage());
                    case TOO_MANY_PIXELS -> Answer.of(422, "image-too-large", "Image has too many pixels", e.getMessage());
                }),
                rule(ModelUnavailableException.class, e -> Answer.of(503, "model-unavailable", "CLIP model not available",
                        e.getMessage()).header("Retry-After", 30)),
                rule(RejectedExecutionException.class, e -> Answer.of(503, "busy", "Service busy",
                        "all encoder workers are busy and the queue is full; retry shortly").header("Retry-After", 1)),
                rule(KnowledgeBaseUnavailableException.class, e -> Answer.of(503, "knowledge-base-unavailable",
                        "Knowledge base not available", e.getMessage()).header("Retry-After", 10)),
                rule(VisionLlmNotConfiguredException.class, e -> Answer.of(503, "llm-not-configured",
                        "Vision LLM not configured", e.getMessage())),
                rule(UpstreamException.class, ProblemMapper::upstream),
                rule(NoReferenceFoundException.class, e -> Answer.of(404, "no-match", "No similar image", e.getMessage())),
                rule(DuplicateEntryException.class, ProblemMapper::duplicate),
                rule(KnowledgeBaseStorageException.class, e -> {
                    Answer answer = Answer.of(503, "storage-unavailable", "Knowledge base not writable", e.getMessage());
                    return e.passing() ? answer.header("Retry-After", 5) : answer;
                }),
                rule(ImportRefusedException.class, e -> Answer.of(409, "import-refused", "Import refused", e.getMessage())),
                rule(UnknownEntryException.class, e -> Answer.of(404, "not-found", "Not found", e.getMessage())),
                rule(UnauthorizedException.class, e -> adminOnly(Answer.of(401, "unauthorized", "Unauthorized",
                        "changing the knowledge base needs the admin token: send 'Authorization: Bearer <rag.admin.token>'")
                        .header("WWW-Authenticate", CHALLENGE))),
                rule(AuthenticationFailedException.class, e -> adminOnly(Answer.of(401, "unauthorized", "Unauthorized",
                        "the bearer token is not the admin token")
                        .header("WWW-Authenticate", CHALLENGE + ", error=\"invalid_token\""))),
                rule(ForbiddenException.class, e -> adminOnly(Answer.of(403, "forbidden", "Forbidden",
                        "this needs the admin role"))),
                rule(JsonProcessingException.class, e -> Answer.of(json(e))),
                rule(WebApplicationException.class, this::web));
    }

    private static <T extends Throwable> Rule<T> rule(Class<T> type, Function<T, Answer> answer) {
        return new Rule<>(type, answer);
    }

    /**
     * The failures Quarkus has mappers of its own for, which would answer them otherwise (an empty 400 for a JSON body
     * of the wrong shape, a bare 401 or 403, the exception's own response); every other failure reaches
     * {@link #unexpected}, and both answer from the table.
     */
    @ServerExceptionMapper({ UnauthorizedException.class, AuthenticationFailedException.class, ForbiddenException.class,
            MismatchedInputException.class, WebApplicationException.class })
    public Response quarkusOwn(Exception e, HttpServerRequest request) {
        if (e instanceof WebApplicationException web && web.getResponse().getStatus() < 400) {
            return web.getResponse(); // a redirect or the like: not a failure of the request
        }
        return response(answer(e), request);
    }

    @ServerExceptionMapper(priority = jakarta.ws.rs.Priorities.USER + 1000)
    public Response unexpected(Throwable e, HttpServerRequest request, HttpServerResponse response) {
        if ((e instanceof IOException || e instanceof IllegalStateException) && response.ended()) {
            // Reading the body failed after the HTTP layer had answered: Quarkus cut off a body sent without a
            // Content-Length past quarkus.http.limits.max-body-size with a 413. The client's doing, answered.
            // Depending on when the cut lands, the read fails (IOException) or the answer finds the response
            // written already (IllegalStateException): the same event either way.
            LOG.debugf("request body cut off after a %d answer: %s", response.getStatusCode(), e.toString());
            return response(Answer.of(ApiException.tooLarge(tooLargeDetail).problem()), request);
        }
        return response(answer(e), request);
    }

    /**
     * The problem a failure is answered with, for when it can only be reported, not answered (a stream's error event),
     * naming {@code trace} when it is a 5xx.
     */
    Problem problem(Throwable e, SpanContext trace) {
        return answer(e).problem().tracedBy(trace);
    }

    /** The table's answer to {@code e}; a 500 with a logged reference for a failure it does not know. */
    private Answer answer(Throwable e) {
        for (Rule<?> rule : table) {
            if (rule.type().isInstance(e)) {
                return rule.apply(e);
            }
        }
        return unexpectedAnswer(e);
    }

    private static Response response(Answer answer, HttpServerRequest request) {
        answer = traced(answer, Span.current().getSpanContext());
        Object body = OPENAI_PATHS.contains(request.path()) ? withOpenAiError(answer) : answer.body();
        Response.ResponseBuilder response = Response.status(answer.problem().status()).type(Problem.MEDIA_TYPE)
                .entity(body);
        answer.headers().forEach(response::header);
        return response.build();
    }

    /** {@code answer} naming the request's trace, when it is a 5xx: in its problem, and in its body. */
    private static Answer traced(Answer answer, SpanContext trace) {
        Problem problem = answer.problem().tracedBy(trace);
        if (problem == answer.problem()) {
            return answer;
        }
        Object body = answer.body();
        if (body instanceof Problem) {
            body = problem;
        } else if (body instanceof Map<?, ?> members) {
            Map<String, Object> more = new LinkedHashMap<>();
            members.forEach((name, value) -> more.put(String.valueOf(name), value));
            more.put("traceId", problem.traceId());
            body = more;
        }
        return new Answer(problem, answer.headers(), body);
    }

    /**
     * The body of a refusal by an OpenAI-compatible endpoint: the problem's members, and OpenAI's error object
     * ({@code message}, {@code type}, {@code param}, {@code code}) that OpenAI's client libraries read.
     */
    private static Map<String, Object> withOpenAiError(Answer answer) {
        Problem problem = answer.problem();
        Map<String, Object> body = new LinkedHashMap<>();
        if (answer.body() instanceof Map<?, ?> members) {
            members.forEach((name, value) -> body.put(String.valueOf(name), value));
        } else {
            body.put("type", problem.type());
            body.put("title", problem.title());
            body.put("status", problem.status());
            body.put("detail", problem.detail());
            if (problem.traceId() != null) {
                body.put("traceId", problem.traceId());
            }
        }
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("message", problem.detail());
        error.put("type", problem.status() >= 500 ? "server_error"
                : problem.status() == 401 || problem.status() == 403 ? "authentication_error" : "invalid_request_error");
        error.put("param", null);
        error.put("code", problem.type().substring(problem.type().lastIndexOf(':') + 1).replace('-', '_'));
        body.put("error", error);
        return body;
    }

    /** The answer to a client without the admin role: as given when a token is configured, else writes are off. */
    private Answer adminOnly(Answer answer) {
        return adminTokens.configured() ? answer : Answer.of(403, "writes-disabled", "Writes are disabled",
                "the knowledge base is read-only because no admin token is configured; set rag.admin.token "
                        + "(environment variable RAG_ADMIN_TOKEN) and send it as 'Authorization: Bearer <token>'");
    }

    /** The 409 names the entry already there, beside the problem's members. */
    private static Answer duplicate(DuplicateEntryException e) {
        Problem problem = Problem.of(409, "duplicate", "Already in the knowledge base", e.getMessage());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", problem.type());
        body.put("title", problem.title());
        body.put("status", problem.status());
        body.put("detail", problem.detail());
        body.put("existing", ImageResource.ImageEntry.of(e.existing()));
        return new Answer(problem, Map.of(), body);
    }

    /** 502 when the upstream failed or answered badly, 503 when it rate-limits us, 504 when it was too slow. */
    private static Answer upstream(UpstreamException e) {
        String detail = e.getMessage();
        return switch (e.kind()) {
            case CREDENTIALS_REJECTED -> Answer.of(502, "llm-credentials-rejected", "Upstream rejected the credentials",
                    detail);
            // Whole seconds, rounded up: never invite the client back sooner than the upstream asked.
            case RATE_LIMITED -> e.retryAfter()
                    .map(delay -> Answer.of(503, "llm-rate-limited", "Vision LLM rate limit reached", detail)
                            .header("Retry-After", Math.max(1, (delay.toMillis() + 999) / 1000)))
                    .orElse(Answer.of(503, "llm-rate-limited", "Vision LLM rate limit reached", detail));
            case UNAVAILABLE, UNREACHABLE -> Answer.of(502, "llm-unavailable", "Vision LLM unavailable", detail);
            case TIMEOUT -> Answer.of(504, "llm-timeout", "Vision LLM timed out", detail);
            case MALFORMED -> Answer.of(502, "llm-bad-response", "Vision LLM answer unusable", detail);
            case BAD_REQUEST -> Answer.of(502, "llm-request-refused", "Vision LLM refused the request", detail);
        };
    }

    /** A JSON body that does not parse, or does not fit the request type: 400, with where it went wrong. */
    private static Problem json(JsonProcessingException e) {
        JsonProcessingException syntaxError = e;
        // Jackson wraps a syntax error found inside a member in a mapping exception.
        while (!(syntaxError instanceof StreamReadException) && syntaxError.getCause() instanceof JsonProcessingException cause) {
            syntaxError = cause;
        }
        JsonLocation location = syntaxError.getLocation();
        String where = location == null || location.getLineNr() < 1 ? ""
                : " (at line " + location.getLineNr() + ", column " + location.getColumnNr() + ")";
        Matcher duplicate = DUPLICATE_MEMBER.matcher(String.valueOf(syntaxError.getOriginalMessage()));
        if (duplicate.matches()) {
            return ApiException.badField("the JSON member '" + RequestFields.abbreviate(duplicate.group(1))
                    + "' is given twice" + where + "; send each member once").problem();
        }
        return ApiException.badField(syntaxError instanceof StreamReadException
                ? "the request body is not valid JSON" + where
                : "the request body is not a JSON object of the documented shape" + where + "; see /q/openapi").problem();
    }

    private Answer web(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        if (status >= 500 || status < 400) {
            return unexpectedAnswer(e);
        }
        if (e.getCause() instanceof JsonProcessingException cause) {
            return Answer.of(json(cause));
        }
        if (status == 413) {
            // A body over a limit of the HTTP layer. Same problem type as UploadLimitFilter's.
            return Answer.of(ApiException.tooLarge(tooLargeDetail).problem());
        }
        Response.Status known = Response.Status.fromStatusCode(status);
        String title = known != null ? known.getReasonPhrase() : "Client error";
        String detail = switch (status) {
            case 404 -> "no such resource; see /q/openapi for the API";
            case 405 -> "this method is not allowed on this resource; see /q/openapi";
            case 406 -> "the requested media type cannot be produced";
            case 415 -> "unsupported content type; image uploads are multipart/form-data with a part named 'image', "
                    + "text requests are application/json";
            default -> "the request is not valid";
        };
        return Answer.of(status, title.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9]+", "-"), title, detail);
    }

    private static Answer unexpectedAnswer(Throwable e) {
        String reference = UUID.randomUUID().toString();
        LOG.errorf(e, "unexpected failure, reference %s", reference);
        return Answer.of(500, "internal-error", "Internal error",
                "the service failed unexpectedly; quote reference " + reference + " when reporting it");
    }
}
