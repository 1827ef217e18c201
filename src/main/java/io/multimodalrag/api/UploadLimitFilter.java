package io.multimodalrag.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.WebApplicationException;
import org.jboss.logging.Logger;

/**
 * Refuses a request whose declared body is over {@code rag.upload.max-size} before a byte of it is
 * read, with the same problem+json shape as every other error. Bodies without a Content-Length
 * (chunked) are cut off at the same size by {@code quarkus.http.limits.max-body-size}: the multipart
 * parser refuses the part that crosses it (answered by {@link ProblemMapper} with this problem) and then
 * fails the request again for every chunk the client still sends. Those repeats reach Vert.x's failure
 * handling after the 413 has gone out; they are dropped here at DEBUG instead of being logged as server
 * errors with a stack trace.
 */
@ApplicationScoped
public class UploadLimitFilter {

    private static final Logger LOG = Logger.getLogger(UploadLimitFilter.class);

    private final long maxBytes;
    private final String body;

    public UploadLimitFilter(UploadedImage uploads, ObjectMapper json) throws JsonProcessingException {
        this.maxBytes = uploads.maxBytes();
        this.body = json.writeValueAsString(ApiException.tooLarge(
                "the request body is over the limit of " + maxBytes + " bytes (rag.upload.max-size)").problem());
    }

    void register(@Observes Router router) {
        router.route().order(-100).handler(this::limit);
        router.route().order(-100).failureHandler(this::answeredClientError);
    }

    /** A 4xx failure after the answer was sent: the client has its problem already; nothing to log. */
    private void answeredClientError(RoutingContext context) {
        if (context.failure() instanceof WebApplicationException e && e.getResponse().getStatus() >= 400
                && e.getResponse().getStatus() < 500 && context.response().ended()) {
            LOG.debugf("request to %s failed again after its %d answer was sent", context.normalizedPath(),
                    e.getResponse().getStatus());
            return;
        }
        context.next();
    }

    private void limit(RoutingContext context) {
        String length = context.request().getHeader("Content-Length");
        if (length != null && declaredLength(length) > maxBytes) {
            context.response().setStatusCode(413).putHeader("Content-Type", Problem.MEDIA_TYPE)
                    .putHeader("Connection", "close").end(body);
            return;
        }
        context.next();
    }

    private static long declaredLength(String header) {
        try {
            return Long.parseLong(header.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
