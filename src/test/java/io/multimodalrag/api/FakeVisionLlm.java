package io.multimodalrag.api;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.MappingBuilder;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.List;
import java.util.Map;

/**
 * An OpenAI-compatible chat-completions server (WireMock on a random port) standing in for the
 * vision LLM. Hands the service its URL and a recognisable fake key, and injects itself into test
 * fields annotated {@link Server}.
 */
public class FakeVisionLlm implements QuarkusTestResourceLifecycleManager {

    /** The API key the service is given; it must never show in a response, a log line or a metric. */
    static final String API_KEY = "sk-fake-test-key-5f1d2c9a7e";
    static final String PATH = "/v1/chat/completions";

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Marks the field that receives the running {@link WireMockServer}. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.FIELD)
    @interface Server {
    }

    private WireMockServer server;

    @Override
    public Map<String, String> start() {
        server = new WireMockServer(options().dynamicPort());
        server.start();
        return Map.of("quarkus.rest-client.vision-llm.url", server.baseUrl() + "/v1", "rag.llm.api-key", API_KEY);
    }

    @Override
    public void inject(TestInjector testInjector) {
        testInjector.injectIntoFields(server, new TestInjector.AnnotatedAndMatchesType(Server.class, WireMockServer.class));
    }

    @Override
    public void stop() {
        if (server != null) {
            server.stop();
        }
    }

    /** A POST to the chat-completions path. */
    static MappingBuilder chatCompletions() {
        return post(urlEqualTo(PATH));
    }

    /** The chat-completion requests received, oldest first. */
    static List<LoggedRequest> requests(WireMockServer server) {
        return server.findAll(postRequestedFor(urlEqualTo(PATH)));
    }

    static JsonNode json(LoggedRequest request) {
        return json(request.getBodyAsString());
    }

    static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A 200 with one chat completion, as OpenAI sends it. */
    static ResponseDefinitionBuilder completion(String model, String answer, int promptTokens, int completionTokens) {
        ObjectNode body = JSON.createObjectNode();
        body.put("id", "chatcmpl-test").put("object", "chat.completion").put("created", 1_700_000_000).put("model", model);
        ObjectNode choice = body.putArray("choices").addObject();
        choice.put("index", 0).put("finish_reason", "stop");
        choice.putObject("message").put("role", "assistant").put("content", answer);
        body.putObject("usage").put("prompt_tokens", promptTokens).put("completion_tokens", completionTokens)
                .put("total_tokens", promptTokens + completionTokens);
        return aResponse().withStatus(200).withHeader("Content-Type", "application/json").withBody(body.toString());
    }

    /**
     * A 200 streaming {@code pieces} as chat-completion chunks, then the usage chunk and
     * {@code [DONE]}, as OpenAI does with {@code stream_options.include_usage}.
     */
    static ResponseDefinitionBuilder stream(String model, int promptTokens, int completionTokens, String... pieces) {
        StringBuilder body = new StringBuilder();
        body.append("data: ").append(chunk(model, "assistant", "")).append("\n\n");
        for (String piece : pieces) {
            body.append("data: ").append(chunk(model, null, piece)).append("\n\n");
        }
        ObjectNode usage = JSON.createObjectNode();
        usage.put("id", "chatcmpl-test").put("object", "chat.completion.chunk").put("model", model);
        usage.putArray("choices");
        usage.putObject("usage").put("prompt_tokens", promptTokens).put("completion_tokens", completionTokens);
        body.append("data: ").append(usage).append("\n\n");
        body.append("data: [DONE]\n\n");
        return sse(body.toString());
    }

    /** A 200 with a raw server-sent-event body. */
    static ResponseDefinitionBuilder sse(String body) {
        return aResponse().withStatus(200).withHeader("Content-Type", "text/event-stream; charset=utf-8").withBody(body);
    }

    static String chunk(String model, String role, String content) {
        ObjectNode chunk = JSON.createObjectNode();
        chunk.put("id", "chatcmpl-test").put("object", "chat.completion.chunk").put("model", model);
        ArrayNode choices = chunk.putArray("choices");
        ObjectNode delta = choices.addObject().put("index", 0).putObject("delta");
        if (role != null) {
            delta.put("role", role);
        }
        delta.put("content", content);
        return chunk.toString();
    }

    /** An OpenAI error body. */
    static ResponseDefinitionBuilder error(int status, String message) {
        ObjectNode body = JSON.createObjectNode();
        body.putObject("error").put("message", message).put("type", "test_error").putNull("code");
        return aResponse().withStatus(status).withHeader("Content-Type", "application/json").withBody(body.toString());
    }
}
