package io.multimodalrag.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Refuses a request whose declared body is over {@code rag.upload.max-size} before a byte of it is
 * read, with the same problem+json shape as every other error. (Bodies without a Content-Length
 * are cut off at the same size by {@code quarkus.http.limits.max-body-size}.)
 */
@ApplicationScoped
public class UploadLimitFilter {

    private final long maxBytes;
    private final String body;

    public UploadLimitFilter(UploadedImage uploads, ObjectMapper json) throws JsonProcessingException {
        this.maxBytes = uploads.maxBytes();
        this.body = json.writeValueAsString(ApiException.tooLarge(
                "the request body is over the limit of " + maxBytes + " bytes (rag.upload.max-size)").problem());
    }

    void register(@Observes Router router) {
        router.route().order(-100).handler(this::limit);
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
