package io.multimodalrag.api;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import io.multimodalrag.clip.ModelUnavailableException;
import io.multimodalrag.image.ImageDecodingException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import java.util.UUID;
import java.util.concurrent.RejectedExecutionException;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * Turns every failure into one {@code application/problem+json} shape. Client errors carry a
 * detail written for the client; unexpected failures are logged with a reference and answered
 * without internals (no class names, no stack traces, no paths).
 */
public class ProblemMapper {

    private static final Logger LOG = Logger.getLogger(ProblemMapper.class);

    @ServerExceptionMapper
    public Response api(ApiException e) {
        Response.ResponseBuilder response = Response.status(e.status()).type(Problem.MEDIA_TYPE).entity(e.problem());
        e.retryAfterSeconds().ifPresent(seconds -> response.header("Retry-After", seconds));
        return response.build();
    }

    @ServerExceptionMapper
    public Response image(ImageDecodingException e) {
        Problem problem = switch (e.reason()) {
            case EMPTY, NOT_AN_IMAGE, UNSUPPORTED_FORMAT -> Problem.of(415, "unsupported-image", "Not a supported image",
                    e.getMessage());
            case CORRUPT -> Problem.of(422, "undecodable-image", "Image cannot be decoded", e.getMessage());
            case TOO_MANY_PIXELS -> Problem.of(422, "image-too-large", "Image has too many pixels", e.getMessage());
        };
        return problem(problem);
    }

    @ServerExceptionMapper
    public Response model(ModelUnavailableException e) {
        return Response.status(503).type(Problem.MEDIA_TYPE).header("Retry-After", 30)
                .entity(Problem.of(503, "model-unavailable", "CLIP model not available", e.getMessage())).build();
    }

    @ServerExceptionMapper
    public Response busy(RejectedExecutionException e) {
        return Response.status(503).type(Problem.MEDIA_TYPE).header("Retry-After", 1)
                .entity(Problem.of(503, "busy", "Service busy",
                        "all encoder workers are busy and the queue is full; retry shortly")).build();
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
            return unexpected(e);
        }
        if (e.getCause() instanceof JsonProcessingException cause) {
            return json(cause);
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
    public Response unexpected(Throwable e) {
        String reference = UUID.randomUUID().toString();
        LOG.errorf(e, "unexpected failure, reference %s", reference);
        return problem(Problem.of(500, "internal-error", "Internal error",
                "the service failed unexpectedly; quote reference " + reference + " when reporting it"));
    }

    private static Response problem(Problem problem) {
        return Response.status(problem.status()).type(Problem.MEDIA_TYPE).entity(problem).build();
    }

    private static String slug(String title) {
        return title.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
    }
}
