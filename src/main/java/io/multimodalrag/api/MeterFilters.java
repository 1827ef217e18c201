package io.multimodalrag.api;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** Filters on what Quarkus' own instrumentation registers. */
public class MeterFilters {

    /**
     * Quarkus 3.33's REST client registers its Vert.x HTTP client's gauges ({@code http.client.active.connections},
     * {@code http.client.queue.size}) twice for the vision-llm client on its first call, and Micrometer warns about
     * each second one (quarkusio/quarkus#54482). Those gauges are not among this service's metrics (the calls are
     * {@code http.client.requests}, the LLM's latency {@code rag.llm.latency}); without them there is nothing to warn
     * about. The client's timers and counters are kept.
     */
    @Produces
    @Singleton
    MeterFilter noDuplicatedHttpClientGauges() {
        return MeterFilter.deny(id -> id.getType() == Meter.Type.GAUGE && id.getName().startsWith("http.client."));
    }
}
