package io.multimodalrag.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

/**
 * Refuses a request whose declared body is over {@code rag.upload.max-size} before a byte of it is
 * read, with the same problem+json shape as every other error. A body without a Content-Length (chunked)
 * is refused when it crosses the limit: an upload by {@link MultipartBodies}, with this problem, while it
 * fits {@code quarkus.rest.input-buffer-size}; past that, and for JSON bodies, by Quarkus itself at
 * {@code quarkus.http.limits.max-body-size} (a 413 without a body, and the connection closed).
 */
@ApplicationScoped
public class UploadLimitFilter {

    private static final Logger LOG = Logger.getLogger(UploadLimitFilter.class);

    private final long maxBytes;
    private final String body;

    public UploadLimitFilter(MultipartBodies uploads, ObjectMapper json) throws JsonProcessingException {
        this.maxBytes = uploads.maxBytes();
        this.body = json.writeValueAsString(ApiException.tooLarge(uploads.tooLargeDetail()).problem());
    }

    void register(@Observes Router router) {
        router.route().order(-100).handler(this::limit);
        router.route().order(-100).failureHandler(this::answeredClientError);
    }

    /**
     * A failure after a 413 was sent: the HTTP layer cut off a body sent without a Content-Length at
     * {@code quarkus.http.limits.max-body-size}, answered 413 and closes the connection; reading that body, and
     * answering it again, then fail. The client has its answer; nothing to log as a server error.
     */
    private void answeredClientError(RoutingContext context) {
        if (context.response().ended() && context.response().getStatusCode() == 413) {
            LOG.debugf("request to %s failed after its 413 answer was sent: %s", context.normalizedPath(),
                    context.failure());
            return;
        }
        context.next();
    }

    private void limit(RoutingContext context) {
        if (MultipartBodies.declaredLength(context.request().getHeader("Content-Length")) > maxBytes) {
            context.response().setStatusCode(413).putHeader("Content-Type", Problem.MEDIA_TYPE)
                    .putHeader("Connection", "close").end(body);
            return;
        }
        context.next();
    }
}
