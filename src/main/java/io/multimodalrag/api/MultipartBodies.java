package io.multimodalrag.api;

import io.multimodalrag.config.RagConfig;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.vertx.http.runtime.CurrentVertxRequest;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.ConstrainedTo;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.RuntimeType;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.ext.MessageBodyReader;
import jakarta.ws.rs.ext.Provider;
import java.io.IOException;
import java.io.InputStream;
import java.lang.annotation.Annotation;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * The photo uploads: {@code multipart/form-data} bodies read into memory and split in place
 * ({@link MultipartForm}), the body of the resource methods that take a photo.
 *
 * <p>Quarkus REST's own form handling ({@code @RestForm} parameters) parses the body byte by byte on a
 * worker thread and writes every file part to a temporary file, which the service then reads back: about
 * a millisecond and two thread hops of a lone request's 25. Read as an entity instead, a body up to
 * {@code quarkus.rest.input-buffer-size} is collected on the event loop, and this reader splits it there.
 *
 * <p>Two limits keep memory bounded: one body may be at most {@code rag.upload.max-size} (413; a declared
 * length over it is refused before a byte is read, by {@link UploadLimitFilter}, a chunked body when it
 * crosses it), and all upload bodies held at once, from their first byte until their answer is sent, at
 * most {@code rag.upload.max-buffered} (503 with Retry-After). Bytes count as they arrive, never as declared
 * ({@link RequestBodyWatch}), and here, whole, once the body is in.
 *
 * <p>Each upload operation takes its form as a record ({@link #bind}), which also describes the form in the OpenAPI
 * document: a {@code byte[]} component is the photo, a {@code String} one a text field, each with its {@code @Schema}.
 */
// Server side only, like JsonBodyLimit: the REST client reads no forms.
@Provider
@ConstrainedTo(RuntimeType.SERVER)
@Consumes(MediaType.MULTIPART_FORM_DATA)
@ApplicationScoped
public class MultipartBodies implements MessageBodyReader<Record> {

    /** The OpenAPI description of the {@code image} part of the forms. */
    static final String IMAGE_PART = "the photo: JPEG, PNG, WebP, GIF or BMP, at most rag.upload.max-size";

    private static final String EMPTY = "the body is empty; send the photo as -F image=@photo.jpg";

    private final long maxBytes;
    private final long maxFieldBytes;
    private final String tooLarge;
    private final CurrentVertxRequest request;
    private final RequestBodyWatch watch;
    private final Tracer tracer;

    public MultipartBodies(RagConfig config, CurrentVertxRequest request, RequestBodyWatch watch, Tracer tracer) {
        this.request = request;
        this.tracer = tracer;
        this.watch = watch;
        this.maxBytes = config.upload().maxSize().asLongValue();
        this.maxFieldBytes = textFieldLimit();
        this.tooLarge = "the request body is over the limit of " + maxBytes + " bytes (rag.upload.max-size)";
    }

    /** The limit of one text field of a form, {@code quarkus.http.limits.max-form-attribute-size}. */
    static long textFieldLimit() {
        return ConfigProvider.getConfig().getOptionalValue("quarkus.http.limits.max-form-attribute-size", MemorySize.class)
                .map(MemorySize::asLongValue).orElse(2048L);
    }

    /** The largest accepted body, {@code rag.upload.max-size}. */
    public long maxBytes() {
        return maxBytes;
    }

    /** The detail of the 413 answer to a body over {@code rag.upload.max-size}. */
    String tooLargeDetail() {
        return tooLarge;
    }

    /** Bytes of upload bodies held now. */
    long buffered() {
        return watch.uploads().held();
    }

    @Override
    public boolean isReadable(Class<?> type, Type genericType, Annotation[] annotations, MediaType mediaType) {
        return type.isRecord();
    }

    @Override
    public Record readFrom(Class<Record> type, Type genericType, Annotation[] annotations, MediaType mediaType,
            MultivaluedMap<String, String> headers, InputStream entity) throws IOException {
        Span span = tracer.spanBuilder("rag.upload.read").startSpan();
        try {
            // In memory already in the usual case; past quarkus.rest.input-buffer-size a blocking stream on a worker,
            // which Quarkus cuts off past quarkus.http.limits.max-body-size (ProblemMapper keeps that quiet).
            byte[] body = entity.readNBytes((int) Math.min(maxBytes + 1, Integer.MAX_VALUE - 8));
            span.setAttribute("rag.upload.bytes", body.length);
            if (body.length > maxBytes) {
                throw ApiException.tooLarge(tooLarge);
            }
            if (body.length == 0) {
                throw ApiException.badField(EMPTY);
            }
            watch.holdWhole(request.getCurrent(), body.length, true);
            return bind(type, MultipartForm.parse(body, headers.getFirst("Content-Type")));
        } finally {
            span.end();
        }
    }

    /**
     * The form as the record {@code type} declares it, component by component, in their order: a {@code byte[]} is a
     * required file part (a 400 problem when it is missing), a {@code String} a text field (null when absent, a 413
     * problem over the field limit).
     */
    <R extends Record> R bind(Class<R> type, MultipartForm form) {
        RecordComponent[] components = type.getRecordComponents();
        Class<?>[] types = new Class<?>[components.length];
        Object[] values = new Object[components.length];
        for (int i = 0; i < components.length; i++) {
            String name = components[i].getName();
            types[i] = components[i].getType();
            values[i] = types[i] == byte[].class ? file(form, name) : text(form, name);
        }
        try {
            return type.getDeclaredConstructor(types).newInstance(values);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("the form record " + type.getName() + " cannot be built", e);
        }
    }

    private static byte[] file(MultipartForm form, String name) {
        return form.part(name).map(MultipartForm.Part::bytes).orElseThrow(() -> ApiException.badField(
                "the multipart part '" + name + "' is missing; send the photo as -F " + name + "=@photo.jpg"));
    }

    private String text(MultipartForm form, String name) {
        return form.part(name).map(part -> {
            if (part.length() > maxFieldBytes) {
                throw ApiException.tooLarge("the form field '" + name + "' has " + part.length()
                        + " bytes; each text field of a form may have at most " + maxFieldBytes
                        + " bytes (quarkus.http.limits.max-form-attribute-size)");
            }
            return part.text();
        }).orElse(null);
    }

    static boolean isMultipartForm(String contentType) {
        return contentType != null && contentType.regionMatches(true, 0, "multipart/form-data", 0, 19);
    }

    /** A Content-Length header's value; -1 when there is none or it is not a number. */
    static long declaredLength(String header) {
        if (header == null) {
            return -1;
        }
        try {
            return Long.parseLong(header.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
