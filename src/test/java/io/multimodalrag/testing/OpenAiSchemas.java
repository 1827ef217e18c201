package io.multimodalrag.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.dialect.Dialects;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * OpenAI's published schemas (a subset of openai/openai-openapi, src/test/resources/openai/, with its source and
 * licence), for checking what the service sends to an OpenAI-compatible server and what it answers as one. Read as
 * JSON Schema 2020-12, the dialect of OpenAPI 3.1: the document's {@code discriminator}s name no mapping (an OpenAPI
 * validator then looks for schemas called "system", "user"), and {@code nullable} matters only for nulls, which the
 * service never sends.
 */
public final class OpenAiSchemas {

    private static final String DOCUMENT = "openai/openai-openapi-subset.json";
    private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(Dialects.getDraft202012());
    private static final JsonNode SCHEMAS = read().path("components").path("schemas");

    private OpenAiSchemas() {
    }

    /** Asserts that {@code json} is a valid {@code name} (a schema of components.schemas), using nothing deprecated. */
    public static void assertValid(String name, JsonNode json) {
        Schema schema = REGISTRY.getSchema(SchemaLocation.of("classpath:" + DOCUMENT + "#/components/schemas/" + name));
        List<String> problems = new ArrayList<>();
        for (Error error : schema.validate(json)) {
            problems.add(error.getInstanceLocation() + ": " + error.getMessage());
        }
        deprecatedMembers(SCHEMAS.path(name), json, "$", problems);
        assertEquals(List.of(), problems, name + " " + abbreviated(json));
    }

    /** The members of {@code json} that {@code schema} (its properties, also through allOf) marks deprecated. */
    private static void deprecatedMembers(JsonNode schema, JsonNode json, String at, List<String> problems) {
        if (!json.isObject()) {
            return;
        }
        for (JsonNode part : parts(schema)) {
            JsonNode properties = part.path("properties");
            for (Iterator<Map.Entry<String, JsonNode>> it = json.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> member = it.next();
                if (properties.path(member.getKey()).path("deprecated").asBoolean(false)) {
                    problems.add(at + "." + member.getKey() + ": deprecated in OpenAI's schema");
                }
            }
        }
    }

    /** The schema and, resolved, what its allOf brings in. */
    private static List<JsonNode> parts(JsonNode schema) {
        List<JsonNode> parts = new ArrayList<>(List.of(schema));
        for (JsonNode part : schema.path("allOf")) {
            String ref = part.path("$ref").asText("");
            parts.addAll(parts(ref.isEmpty() ? part : SCHEMAS.path(ref.substring(ref.lastIndexOf('/') + 1))));
        }
        return parts;
    }

    private static String abbreviated(JsonNode json) {
        String text = json.toString();
        return text.length() > 400 ? text.substring(0, 400) + "…" : text;
    }

    private static JsonNode read() {
        try (InputStream in = OpenAiSchemas.class.getClassLoader().getResourceAsStream(DOCUMENT)) {
            return new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
