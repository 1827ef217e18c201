package io.multimodalrag.api;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.jackson.ObjectMapperCustomizer;
import jakarta.inject.Singleton;

/**
 * Request bodies with a member given twice ({@code {"k": 1, "k": 50}}) are refused by the parser, with a 400 that
 * names the member ({@link ProblemMapper#json}), instead of one of the two being taken silently (or, for the
 * records the endpoints read, Jackson failing with a definition error answered 500). The vision LLM's client keeps
 * its own, lenient copy ({@link io.multimodalrag.answer.VisionChatClient}).
 */
@Singleton
public class StrictJson implements ObjectMapperCustomizer {

    @Override
    public void customize(ObjectMapper mapper) {
        mapper.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    }
}
