package io.multimodalrag.answer;

import io.multimodalrag.config.RagConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.core.MultivaluedHashMap;
import jakarta.ws.rs.core.MultivaluedMap;
import java.util.Optional;
import org.eclipse.microprofile.rest.client.ext.ClientHeadersFactory;

/**
 * Adds {@code Authorization: Bearer <rag.llm.api-key>} to every call of {@link VisionChatClient}.
 * The key lives only here and in the config; the REST client's logging masks this header (see
 * application.properties).
 */
@ApplicationScoped
public class BearerAuthorization implements ClientHeadersFactory {

    private final Optional<String> apiKey;

    public BearerAuthorization(RagConfig config) {
        this.apiKey = config.llm().apiKey().map(String::strip).filter(key -> !key.isEmpty());
    }

    @Override
    public MultivaluedMap<String, String> update(MultivaluedMap<String, String> incomingHeaders,
            MultivaluedMap<String, String> clientOutgoingHeaders) {
        MultivaluedMap<String, String> headers = new MultivaluedHashMap<>();
        apiKey.ifPresent(key -> headers.putSingle("Authorization", "Bearer " + key));
        return headers;
    }
}
