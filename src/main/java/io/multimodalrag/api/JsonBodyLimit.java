package io.multimodalrag.api;

import io.multimodalrag.config.RagConfig;
import io.quarkus.vertx.http.runtime.CurrentVertxRequest;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.ConstrainedTo;
import jakarta.ws.rs.RuntimeType;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.ext.Provider;
import jakarta.ws.rs.ext.ReaderInterceptor;
import jakarta.ws.rs.ext.ReaderInterceptorContext;
import java.io.IOException;

/**
 * Bounds every request body that is not a photo upload (JSON) before it is parsed: at most
 * {@code rag.text.max-body-size} bytes (413; a declared length over it is refused before a byte is read, by
 * {@link UploadLimitFilter}), and within the {@code rag.text.max-buffered} budget of such bodies held at once (503),
 * counted whole here, once the body is in memory, beyond what {@link RequestBodyWatch} counted while it arrived.
 */
// Server side only: the REST client reads the LLM's answers through the same interceptors otherwise.
@Provider
@ConstrainedTo(RuntimeType.SERVER)
@ApplicationScoped
public class JsonBodyLimit implements ReaderInterceptor {

    private final long maxBytes;
    private final String tooLarge;
    private final CurrentVertxRequest request;
    private final RequestBodyWatch watch;

    public JsonBodyLimit(RagConfig config, CurrentVertxRequest request, RequestBodyWatch watch) {
        this.maxBytes = config.text().maxBodySize().asLongValue();
        this.tooLarge = "the JSON body is over the limit of " + maxBytes + " bytes (rag.text.max-body-size); a text may"
                + " have at most " + config.text().maxLength() + " characters (rag.text.max-length)";
        this.request = request;
        this.watch = watch;
    }

    /** The largest accepted JSON body, {@code rag.text.max-body-size}. */
    long maxBytes() {
        return maxBytes;
    }

    /** The detail of the 413 answer to a JSON body over the limit. */
    String tooLargeDetail() {
        return tooLarge;
    }

    @Override
    public Object aroundReadFrom(ReaderInterceptorContext context) throws IOException {
        MediaType type = context.getMediaType();
        if (type != null && type.isCompatible(MediaType.MULTIPART_FORM_DATA_TYPE)) {
            return context.proceed(); // MultipartBodies holds uploads to their own limits
        }
        RoutingContext routing = request.getCurrent();
        if (routing != null) {
            // Bodies up to quarkus.rest.input-buffer-size are in memory whole by now: all of it has been read.
            long bytes = routing.request().bytesRead();
            if (bytes > maxBytes) {
                throw ApiException.tooLarge(tooLarge);
            }
            watch.holdWhole(routing, bytes, false);
        }
        return context.proceed();
    }
}
