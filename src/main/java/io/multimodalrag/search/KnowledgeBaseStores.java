package io.multimodalrag.search;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.multimodalrag.clip.ImageEncoder;
import io.multimodalrag.config.RagConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * Makes the store {@code rag.knowledge-base.store} names. The datasource and Flyway are looked up only for the
 * postgresql store, and only when it first loads: with the files store no {@code quarkus.datasource.jdbc.url} is set,
 * so the datasource is inactive and never connects.
 */
@ApplicationScoped
public class KnowledgeBaseStores {

    private final Instance<DataSource> dataSource;
    private final Instance<Flyway> flyway;

    public KnowledgeBaseStores(Instance<DataSource> dataSource, Instance<Flyway> flyway) {
        this.dataSource = dataSource;
        this.flyway = flyway;
    }

    KnowledgeBaseStore create(RagConfig config, ImageEncoder encoder, ObjectMapper json, MatrixScanner scanner) {
        return switch (config.knowledgeBase().store()) {
            case FILES -> new FilesStore(encoder, json, config, scanner);
            case POSTGRESQL -> new PostgresStore(new PostgresStore.Database(dataSource::get, () -> flyway.get().migrate()),
                    encoder, json, config, scanner);
        };
    }
}
