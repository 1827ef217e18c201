package io.multimodalrag.api;

import io.multimodalrag.search.KnowledgeBase;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;

/** Operations for the people who run the service. */
@Path("/v1/admin")
public class AdminResource {

    private final KnowledgeBase knowledgeBase;

    public AdminResource(KnowledgeBase knowledgeBase) {
        this.knowledgeBase = knowledgeBase;
    }

    /** The knowledge base after a reload. */
    public record ReloadResult(int entries, int skipped, int embedded, long tookMs) {
    }

    @POST
    @Path("/reload")
    @Produces(MediaType.APPLICATION_JSON)
    @RolesAllowed(AdminTokenIdentityProvider.ADMIN)
    @Operation(summary = "Re-read description.jsonl and the images (admin), embedding only what changed")
    public Uni<ReloadResult> reload() {
        return Uni.createFrom().item(() -> {
            long started = System.nanoTime();
            KnowledgeBase.State state = knowledgeBase.reload();
            return new ReloadResult(knowledgeBase.snapshot().entries().size(), state.skipped(), state.embedded(),
                    (System.nanoTime() - started) / 1_000_000);
        }).runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
    }

    @POST
    @Path("/import")
    @Produces(MediaType.APPLICATION_JSON)
    @RolesAllowed(AdminTokenIdentityProvider.ADMIN)
    @Operation(summary = "Import rag.knowledge-base.import-from into the postgresql store (admin); adds nothing twice")
    public Uni<KnowledgeBase.ImportResult> importCatalogue() {
        return Uni.createFrom().item(knowledgeBase::importCatalogue)
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
    }
}
