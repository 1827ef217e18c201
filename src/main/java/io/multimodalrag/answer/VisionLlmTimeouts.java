package io.multimodalrag.answer;

import io.multimodalrag.config.RagConfig;
import io.smallrye.config.SmallRyeConfig;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.ConfigProvider;
import org.eclipse.microprofile.rest.client.RestClientBuilder;
import org.eclipse.microprofile.rest.client.spi.RestClientListener;

/**
 * Applies {@code rag.llm.connect-timeout} and {@code rag.llm.read-timeout} to the
 * {@link VisionChatClient} when it is built. The REST client's own timeout keys take whole
 * milliseconds, so they cannot simply reference these Durations; this listener (registered in
 * META-INF/services) runs after the client's configuration has been applied and so has the last
 * word. The read timeout is the longest silence, which also bounds the gap between streamed chunks.
 */
public class VisionLlmTimeouts implements RestClientListener {

    @Override
    public void onNewClient(Class<?> serviceInterface, RestClientBuilder builder) {
        if (serviceInterface != VisionChatClient.class) {
            return;
        }
        RagConfig.Llm llm = ConfigProvider.getConfig().unwrap(SmallRyeConfig.class).getConfigMapping(RagConfig.class).llm();
        builder.connectTimeout(llm.connectTimeout().toMillis(), TimeUnit.MILLISECONDS);
        builder.readTimeout(llm.readTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }
}
