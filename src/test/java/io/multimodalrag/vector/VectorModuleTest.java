package io.multimodalrag.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The choice every Vector API loop makes: the vector implementation, or the scalar one with the reason why not. */
class VectorModuleTest {

    interface Loop {
        String what();
    }

    record Scalar(String what) implements Loop {
    }

    static final class Fast implements Loop {
        Fast() {
        }

        @Override
        public String what() {
            return "fast";
        }
    }

    static final class Refusing implements Loop {
        Refusing() {
            throw new UnsupportedOperationException("preferred int vector has 2 lanes");
        }

        @Override
        public String what() {
            return "never";
        }
    }

    @Test
    void theTestJvmHasTheModule() {
        // The pom adds it, as the container images do; the kernels' own tests rely on it.
        assertTrue(VectorModule.loaded());
    }

    @Test
    void withTheModuleTheNamedClassIsCreated() {
        assertInstanceOf(Fast.class, VectorModule.implementation(true, Loop.class, "VectorModuleTest$Fast", Scalar::new));
    }

    @Test
    void withoutTheModuleTheScalarOneSaysHowToGetIt() {
        Loop loop = VectorModule.implementation(false, Loop.class, "VectorModuleTest$Fast", Scalar::new);
        assertEquals(new Scalar("the JVM was started without --add-modules=jdk.incubator.vector"), loop);
    }

    @Test
    void aClassThatRefusesThisCpuOrIsMissingFallsBackWithItsReason() {
        Loop refused = VectorModule.implementation(true, Loop.class, "VectorModuleTest$Refusing", Scalar::new);
        assertEquals("the Vector API implementation failed to load: java.lang.UnsupportedOperationException: "
                + "preferred int vector has 2 lanes", refused.what());
        Loop missing = VectorModule.implementation(true, Loop.class, "NoSuchLoop", Scalar::new);
        assertTrue(missing.what().startsWith("the Vector API implementation failed to load: "
                + "java.lang.ClassNotFoundException: io.multimodalrag.vector.NoSuchLoop"), missing.what());
    }
}
