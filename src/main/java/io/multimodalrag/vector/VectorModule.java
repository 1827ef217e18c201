package io.multimodalrag.vector;

import java.lang.reflect.Constructor;
import java.util.function.Function;

/**
 * The JDK's incubating Vector API, which the hot loops (the search scan, the resize, JPEG colour conversion) use
 * when the JVM has loaded its module: {@code --add-modules=jdk.incubator.vector}, as the container images,
 * {@code quarkus:dev} and the tests start it. Each loop has a plain-Java implementation with the same results;
 * the Vector API one is created here by name, so that no class that may be linked without the module refers to it.
 */
public final class VectorModule {

    /** The module, an incubator module on JDK 17 to 25. */
    public static final String NAME = "jdk.incubator.vector";

    private VectorModule() {
    }

    /** Whether the JVM was started with the module. */
    public static boolean loaded() {
        return ModuleLayer.boot().findModule(NAME).isPresent();
    }

    /**
     * The Vector API implementation of {@code type}: the class {@code simpleName} in {@code type}'s package, created
     * by its no-argument constructor, when {@code moduleLoaded}; otherwise, or when it fails to load or refuses this
     * CPU, {@code scalar} given the reason, for the start-up log.
     */
    public static <T> T implementation(boolean moduleLoaded, Class<T> type, String simpleName,
                                       Function<String, T> scalar) {
        if (!moduleLoaded) {
            return scalar.apply("the JVM was started without --add-modules=" + NAME);
        }
        try {
            Constructor<?> constructor = Class.forName(type.getPackageName() + "." + simpleName, true,
                    type.getClassLoader()).getDeclaredConstructor();
            constructor.setAccessible(true);
            return type.cast(constructor.newInstance());
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            Throwable cause = e.getCause() != null && e instanceof ReflectiveOperationException ? e.getCause() : e;
            return scalar.apply("the Vector API implementation failed to load: " + cause);
        }
    }
}
