package io.multimodalrag.api;

import io.multimodalrag.config.RagConfig;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.IdentityProvider;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.request.TokenAuthenticationRequest;
import io.quarkus.security.runtime.QuarkusPrincipal;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;

/**
 * Grants the {@value #ADMIN} role to the bearer of {@code rag.admin.token}. The comparison takes
 * the same time whatever the presented token, so its content cannot be guessed from timings.
 */
@ApplicationScoped
public class AdminTokenIdentityProvider implements IdentityProvider<TokenAuthenticationRequest> {

    /** The role that may change the knowledge base. */
    public static final String ADMIN = "admin";

    private final Optional<byte[]> expectedDigest;

    public AdminTokenIdentityProvider(RagConfig config) {
        this.expectedDigest = config.admin().token().filter(t -> !t.isBlank()).map(AdminTokenIdentityProvider::digest);
    }

    /** Whether writes are enabled at all. */
    public boolean configured() {
        return expectedDigest.isPresent();
    }

    @Override
    public Class<TokenAuthenticationRequest> getRequestType() {
        return TokenAuthenticationRequest.class;
    }

    @Override
    public Uni<SecurityIdentity> authenticate(TokenAuthenticationRequest request, AuthenticationRequestContext context) {
        // Digests have a fixed length, so isEqual's constant-time comparison does not leak the token's length either.
        byte[] presented = digest(request.getToken().getToken());
        if (expectedDigest.isEmpty() || !MessageDigest.isEqual(expectedDigest.get(), presented)) {
            return Uni.createFrom().failure(new AuthenticationFailedException("the bearer token is not valid"));
        }
        return Uni.createFrom().item(QuarkusSecurityIdentity.builder()
                .setPrincipal(new QuarkusPrincipal(ADMIN))
                .addRole(ADMIN)
                .build());
    }

    private static byte[] digest(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
