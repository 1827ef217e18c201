package io.multimodalrag.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

/**
 * Refuses a request whose declared body is over its limit before a byte of it is read, with the same
 * problem+json shape as every other error: {@code rag.upload.max-size} for photo uploads
 * ({@code multipart/form-data}), {@code rag.text.max-body-size} for every other body (JSON). A body without
 * a Content-Length (chunked) is refused when it crosses the limit: an upload by {@link MultipartBodies}, a
 * JSON body by {@link JsonBodyLimit}, with this problem, while it fits {@code quarkus.rest.input-buffer-size};
 * past that by Quarkus itself at {@code quarkus.http.limits.max-body-size} (a 413 without a body, and the
 * connection closed). Then hands the body to {@link RequestBodyWatch} while it arrives.
 */
@ApplicationScoped
public class UploadLimitFilter {

    private static final Logger LOG = Logger.getLogger(UploadLimitFilter.class);

    private final long maxBytes;
    private final long maxJsonBytes;
    private final String body;
    private final String jsonBody;
    private final RequestBodyWatch watch;

    public UploadLimitFilter(MultipartBodies uploads, JsonBodyLimit jsonLimit, RequestBodyWatch watch, ObjectMapper json)
            throws JsonProcessingException {
        this.maxBytes = uploads.maxBytes();
        this.maxJsonBytes = jsonLimit.maxBytes();
        this.watch = watch;
        this.body = json.writeValueAsString(ApiException.tooLarge(uploads.tooLargeDetail()).problem());
        this.jsonBody = json.writeValueAsString(ApiException.tooLarge(jsonLimit.tooLargeDetail()).problem());
    }

    void register(@Observes Router router) {
        router.route().order(-100).handler(this::limit);
        router.route().order(-100).failureHandler(this::answeredClientError);
    }

    /**
     * A failure after a 413 was sent: the HTTP layer cut off a body sent without a Content-Length at
     * {@code quarkus.http.limits.max-body-size}, answered 413 and closes the connection; reading that body, and
     * answering it again, then fail. The same after {@link RequestBodyWatch} closed a body too slow (408) or over
     * the budget (503). The client has its answer; nothing to log as a server error.
     */
    private void answeredClientError(RoutingContext context) {
        int status = context.response().getStatusCode();
        if (context.response().ended() && (status == 413 || status == 408 || status == 503)) {
            LOG.debugf("request to %s failed after its %d answer was sent: %s", context.normalizedPath(), status,
                    context.failure());
            return;
        }
        context.next();
    }

    private void limit(RoutingContext context) {
        boolean upload = MultipartBodies.isMultipartForm(context.request().getHeader("Content-Type"));
        long limit = upload ? maxBytes : maxJsonBytes;
        String tooLarge = upload ? body : jsonBody;
        if (MultipartBodies.declaredLength(context.request().getHeader("Content-Length")) > limit) {
            RequestBodyWatch.refuseAndClose(context, 413, tooLarge, null);
            return;
        }
        watch.watch(context, upload, limit, tooLarge);
        context.next();
    }
}
