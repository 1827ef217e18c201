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
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import io.vertx.core.http.HttpServerResponse;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.RejectedExecutionException;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * Turns every failure into one {@code application/problem+json} shape. Client errors carry a
 * detail written for the client; unexpected failures are logged with a reference and answered
 * without internals (no class names, no stack traces, no paths). {@link #problemFor} gives the same
 * problem for a failure that can no longer change the status, e.g. in the middle of an event stream.
 */
public class ProblemMapper {

    private static final Logger LOG = Logger.getLogger(ProblemMapper.class);
    private static final String CHALLENGE = "Bearer realm=\"multimodal-rag\"";
    /** Jackson's message when STRICT_DUPLICATE_DETECTION finds a member twice ({@link StrictJson}). */
    private static final java.util.regex.Pattern DUPLICATE_MEMBER = java.util.regex.Pattern.compile("Duplicate field '(.*)'");

    private final AdminTokenIdentityProvider adminTokens;
    private final String tooLargeDetail;

    public ProblemMapper(AdminTokenIdentityProvider adminTokens, MultipartBodies uploads) {
        this.adminTokens = adminTokens;
        long fieldBytes = MultipartBodies.textFieldLimit();
        this.tooLargeDetail = "the request is over a size limit: the body may be at most " + uploads.maxBytes()
                + " bytes (rag.upload.max-size) and each text field of a form at most " + fieldBytes + " bytes";
    }

    @ServerExceptionMapper
    public Response api(ApiException e) {
        Response.ResponseBuilder response = Response.status(e.status()).type(Problem.MEDIA_TYPE).entity(e.problem());
        e.retryAfterSeconds().ifPresent(seconds -> response.header("Retry-After", seconds));
        return response.build();
    }

    @ServerExceptionMapper
    public Response image(ImageDecodingException e) {
        return problem(imageProblem(e));
    }

    @ServerExceptionMapper
    public Response model(ModelUnavailableException e) {
        return Response.status(503).type(Problem.MEDIA_TYPE).header("Retry-After", 30).entity(modelProblem(e)).build();
    }

    @ServerExceptionMapper
    public Response busy(RejectedExecutionException e) {
        return Response.status(503).type(Problem.MEDIA_TYPE).header("Retry-After", 1).entity(busyProblem()).build();
    }

    @ServerExceptionMapper
    public Response llmNotConfigured(VisionLlmNotConfiguredException e) {
        return problem(llmNotConfiguredProblem(e));
    }

    @ServerExceptionMapper
    public Response upstream(UpstreamException e) {
        Response.ResponseBuilder response = Response.status(upstreamStatus(e)).type(Problem.MEDIA_TYPE)
                .entity(upstreamProblem(e));
        if (e.kind() == UpstreamException.Kind.RATE_LIMITED) {
            // Whole seconds, rounded up: never invite the client back sooner than the upstream asked.
            e.retryAfter().ifPresent(delay -> response.header("Retry-After", Math.max(1, (delay.toMillis() + 999) / 1000)));
        }
        return response.build();
    }

    @ServerExceptionMapper
    public Response noReference(NoReferenceFoundException e) {
        return problem(noReferenceProblem(e));
    }

    @ServerExceptionMapper
    public Response duplicate(DuplicateEntryException e) {
        Map<String, Object> body = problemFields(Problem.of(409, "duplicate", "Already in the knowledge base", e.getMessage()));
        body.put("existing", ImageResource.ImageEntry.of(e.existing()));
        return Response.status(409).type(Problem.MEDIA_TYPE).entity(body).build();
    }

    @ServerExceptionMapper
    public Response storage(KnowledgeBaseStorageException e) {
        Response.ResponseBuilder response = Response.status(503).type(Problem.MEDIA_TYPE)
                .entity(Problem.of(503, "storage-unavailable", "Knowledge base not writable", e.getMessage()));
        if (e.passing()) {
            response.header("Retry-After", 5);
        }
        return response.build();
    }

    @ServerExceptionMapper
    public Response importRefused(ImportRefusedException e) {
        return problem(Problem.of(409, "import-refused", "Import refused", e.getMessage()));
    }

    @ServerExceptionMapper
    public Response knowledgeBaseUnavailable(KnowledgeBaseUnavailableException e) {
        return Response.status(503).type(Problem.MEDIA_TYPE).header("Retry-After", 10)
                .entity(knowledgeBaseProblem(e)).build();
    }

    @ServerExceptionMapper
    public Response unknownEntry(UnknownEntryException e) {
        return problem(Problem.of(404, "not-found", "Not found", e.getMessage()));
    }

    @ServerExceptionMapper
    public Response anonymous(UnauthorizedException e) {
        if (!adminTokens.configured()) {
            return writesDisabled();
        }
        return Response.status(401).type(Problem.MEDIA_TYPE).header("WWW-Authenticate", CHALLENGE)
                .entity(Problem.of(401, "unauthorized", "Unauthorized",
                        "changing the knowledge base needs the admin token: send 'Authorization: Bearer <rag.admin.token>'"))
                .build();
    }

    @ServerExceptionMapper
    public Response badCredentials(AuthenticationFailedException e) {
        if (!adminTokens.configured()) {
            return writesDisabled();
        }
        return Response.status(401).type(Problem.MEDIA_TYPE)
                .header("WWW-Authenticate", CHALLENGE + ", error=\"invalid_token\"")
                .entity(Problem.of(401, "unauthorized", "Unauthorized", "the bearer token is not the admin token"))
                .build();
    }

    @ServerExceptionMapper
    public Response forbidden(ForbiddenException e) {
        return adminTokens.configured()
                ? problem(Problem.of(403, "forbidden", "Forbidden", "this needs the admin role"))
                : writesDisabled();
    }

    private static Response writesDisabled() {
        return problem(Problem.of(403, "writes-disabled", "Writes are disabled",
                "the knowledge base is read-only because no admin token is configured; set rag.admin.token "
                        + "(environment variable RAG_ADMIN_TOKEN) and send it as 'Authorization: Bearer <token>'"));
    }

    private static Map<String, Object> problemFields(Problem problem) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("type", problem.type());
        fields.put("title", problem.title());
        fields.put("status", problem.status());
        fields.put("detail", problem.detail());
        return fields;
    }

    /** A JSON body that does not parse, or does not fit the request type: 400, with where it went wrong. */
    @ServerExceptionMapper
    public Response json(JsonProcessingException e) {
        JsonProcessingException syntaxError = e;
        // Jackson wraps a syntax error found inside a member in a mapping exception.
        while (!(syntaxError instanceof StreamReadException) && syntaxError.getCause() instanceof JsonProcessingException cause) {
            syntaxError = cause;
        }
        JsonLocation location = syntaxError.getLocation();
        String where = location == null || location.getLineNr() < 1 ? ""
                : " (at line " + location.getLineNr() + ", column " + location.getColumnNr() + ")";
        java.util.regex.Matcher duplicate = DUPLICATE_MEMBER.matcher(String.valueOf(syntaxError.getOriginalMessage()));
        if (duplicate.matches()) {
            return problem(ApiException.badField("the JSON member '" + RequestFields.abbreviate(duplicate.group(1))
                    + "' is given twice" + where + "; send each member once").problem());
        }
        String detail = syntaxError instanceof StreamReadException
                ? "the request body is not valid JSON" + where
                : "the request body is not a JSON object of the documented shape" + where + "; see /q/openapi";
        return problem(ApiException.badField(detail).problem());
    }

    /** Replaces Quarkus' own mapper for this exception, which answers 400 with an empty body. */
    @ServerExceptionMapper
    public Response jsonShape(MismatchedInputException e) {
        return json(e);
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        if (status >= 500) {
            return problem(unexpectedProblem(e));
        }
        if (e.getCause() instanceof JsonProcessingException cause) {
            return json(cause);
        }
        if (status == 413) {
            // A body over a limit of the HTTP layer. Same problem type as UploadLimitFilter's.
            return problem(ApiException.tooLarge(tooLargeDetail).problem());
        }
        Response.Status.Family family = Response.Status.Family.familyOf(status);
        if (family != Response.Status.Family.CLIENT_ERROR) {
            return e.getResponse();
        }
        String title = Response.Status.fromStatusCode(status) != null
                ? Response.Status.fromStatusCode(status).getReasonPhrase() : "Client error";
        String detail = switch (status) {
            case 404 -> "no such resource; see /q/openapi for the API";
            case 405 -> "this method is not allowed on this resource; see /q/openapi";
            case 406 -> "the requested media type cannot be produced";
            case 415 -> "unsupported content type; image uploads are multipart/form-data with a part named 'image', "
                    + "text requests are application/json";
            default -> "the request is not valid";
        };
        return problem(Problem.of(status, slug(title), title, detail));
    }

    @ServerExceptionMapper(priority = jakarta.ws.rs.Priorities.USER + 1000)
    public Response unexpected(Throwable e, HttpServerResponse response) {
        if ((e instanceof IOException || e instanceof IllegalStateException) && response.ended()) {
            // Reading the body failed after the HTTP layer had answered: Quarkus cut off a body sent without a
            // Content-Length past quarkus.http.limits.max-body-size with a 413. The client's doing, answered.
            // Depending on when the cut lands, the read fails (IOException) or the answer finds the response
            // written already (IllegalStateException): the same event either way.
            LOG.debugf("request body cut off after a %d answer: %s", response.getStatusCode(), e.toString());
            return problem(ApiException.tooLarge(tooLargeDetail).problem());
        }
        return problem(unexpectedProblem(e));
    }

    /** The problem a failure would be answered with, for when it can only be reported, not answered. */
    static Problem problemFor(Throwable e) {
        if (e instanceof ApiException api) {
            return api.problem();
        }
        if (e instanceof ImageDecodingException image) {
            return imageProblem(image);
        }
        if (e instanceof ModelUnavailableException model) {
            return modelProblem(model);
        }
        if (e instanceof RejectedExecutionException) {
            return busyProblem();
        }
        if (e instanceof KnowledgeBaseUnavailableException unavailable) {
            return knowledgeBaseProblem(unavailable);
        }
        if (e instanceof VisionLlmNotConfiguredException notConfigured) {
            return llmNotConfiguredProblem(notConfigured);
        }
        if (e instanceof UpstreamException upstream) {
            return upstreamProblem(upstream);
        }
        if (e instanceof NoReferenceFoundException noReference) {
            return noReferenceProblem(noReference);
        }
        return unexpectedProblem(e);
    }

    private static Problem imageProblem(ImageDecodingException e) {
        return switch (e.reason()) {
            case EMPTY, NOT_AN_IMAGE, UNSUPPORTED_FORMAT -> Problem.of(415, "unsupported-image", "Not a supported image",
                    e.getMessage());
            case CORRUPT -> Problem.of(422, "undecodable-image", "Image cannot be decoded", e.getMessage());
            case TOO_MANY_PIXELS -> Problem.of(422, "image-too-large", "Image has too many pixels", e.getMessage());
        };
    }

    private static Problem modelProblem(ModelUnavailableException e) {
        return Problem.of(503, "model-unavailable", "CLIP model not available", e.getMessage());
    }

    private static Problem knowledgeBaseProblem(KnowledgeBaseUnavailableException e) {
        return Problem.of(503, "knowledge-base-unavailable", "Knowledge base not available", e.getMessage());
    }

    private static Problem busyProblem() {
        return Problem.of(503, "busy", "Service busy", "all encoder workers are busy and the queue is full; retry shortly");
    }

    private static Problem llmNotConfiguredProblem(VisionLlmNotConfiguredException e) {
        return Problem.of(503, "llm-not-configured", "Vision LLM not configured", e.getMessage());
    }

    private static Problem noReferenceProblem(NoReferenceFoundException e) {
        return Problem.of(404, "no-match", "No similar image", e.getMessage());
    }

    /** 502 when the upstream failed or answered badly, 503 when it rate-limits us, 504 when it was too slow. */
    private static int upstreamStatus(UpstreamException e) {
        return switch (e.kind()) {
            case RATE_LIMITED -> 503;
            case TIMEOUT -> 504;
            case CREDENTIALS_REJECTED, UNAVAILABLE, UNREACHABLE, MALFORMED, BAD_REQUEST -> 502;
        };
    }

    private static Problem upstreamProblem(UpstreamException e) {
        int status = upstreamStatus(e);
        return switch (e.kind()) {
            case CREDENTIALS_REJECTED -> Problem.of(status, "llm-credentials-rejected", "Upstream rejected the credentials",
                    e.getMessage());
            case RATE_LIMITED -> Problem.of(status, "llm-rate-limited", "Vision LLM rate limit reached", e.getMessage());
            case UNAVAILABLE, UNREACHABLE -> Problem.of(status, "llm-unavailable", "Vision LLM unavailable", e.getMessage());
            case TIMEOUT -> Problem.of(status, "llm-timeout", "Vision LLM timed out", e.getMessage());
            case MALFORMED -> Problem.of(status, "llm-bad-response", "Vision LLM answer unusable", e.getMessage());
            case BAD_REQUEST -> Problem.of(status, "llm-request-refused", "Vision LLM refused the request", e.getMessage());
        };
    }

    private static Problem unexpectedProblem(Throwable e) {
        String reference = UUID.randomUUID().toString();
        LOG.errorf(e, "unexpected failure, reference %s", reference);
        return Problem.of(500, "internal-error", "Internal error",
                "the service failed unexpectedly; quote reference " + reference + " when reporting it");
    }

    private static Response problem(Problem problem) {
        return Response.status(problem.status()).type(Problem.MEDIA_TYPE).entity(problem).build();
    }

    private static String slug(String title) {
        return title.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
    }
}
