package io.multimodalrag.api;

import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/**
 * The tests' span exporter: spans kept in memory, where the tracing tests read them back. As a CDI bean it replaces
 * the OTLP exporter in every test application, so that no test sends spans anywhere; only profiles that switch
 * sampling on record any.
 */
@ApplicationScoped
public class InMemorySpans {

    @Produces
    @Singleton
    InMemorySpanExporter exporter() {
        return InMemorySpanExporter.create();
    }
}
