package io.multimodalrag.clip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multimodalrag.config.RagConfig;
import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.runtime.configuration.DurationConverter;
import io.quarkus.runtime.configuration.MemorySizeConverter;
import java.time.Duration;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Device choice, variant checks and failure reasons, without starting Quarkus. */
class ModelLoaderTest {

    private static ModelLoader loader(String... keyValues) {
        Map<String, String> values = new HashMap<>(Map.of(
                "rag.model.dir", "src/test/resources/clip-tiny",
                "rag.model.download.enabled", "false"));
        for (int i = 0; i < keyValues.length; i += 2) {
            values.put(keyValues[i], keyValues[i + 1]);
        }
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .withMapping(RagConfig.class)
                .withConverter(MemorySize.class, 100, new MemorySizeConverter())
                .withConverter(Duration.class, 100, new DurationConverter())
                .withDefaultValues(values)
                .build();
        return new ModelLoader(config.getConfigMapping(RagConfig.class));
    }

    @Test
    void autoFallsBackToTheCpuWithoutTheGpuBuild() {
        ModelLoader loader = loader("rag.model.device", "auto");
        loader.load();
        assertEquals(LoadStatus.READY, loader.state().status());
        assertEquals(ClipModel.Device.CPU, loader.require().device());
        loader.close();
    }

    @Test
    void cudaOnTheCpuBuildFailsWithAReasonInsteadOfFallingBack() {
        ModelLoader loader = loader("rag.model.device", "cuda");
        loader.load();
        assertEquals(LoadStatus.FAILED, loader.state().status());
        assertTrue(loader.state().reason().contains("-Pgpu"), loader.state().reason());
        ModelUnavailableException e = assertThrows(ModelUnavailableException.class, loader::require);
        assertTrue(e.getMessage().startsWith("the CLIP model is not loaded"), e.getMessage());
    }

    @Test
    void anUnknownDeviceOrVariantIsNamed() {
        ModelLoader device = loader("rag.model.device", "tpu");
        device.load();
        assertTrue(device.state().reason().contains("'tpu'"), device.state().reason());
        ModelLoader variant = loader("rag.model.variant", "fp8");
        variant.load();
        assertTrue(variant.state().reason().contains("'fp8'"), variant.state().reason());
    }

    @Test
    void aMissingVariantSaysHowToGetIt() {
        ModelLoader loader = loader("rag.model.variant", "int8");
        loader.load();
        assertEquals(LoadStatus.FAILED, loader.state().status());
        assertTrue(loader.state().reason().contains("no int8 CLIP model"), loader.state().reason());
        assertTrue(loader.state().reason().contains("download.sh"), loader.state().reason());
    }

    @Test
    void beforeLoadingTheModelIsReportedAsLoading() {
        ModelLoader loader = loader();
        assertEquals(LoadStatus.LOADING, loader.state().status());
        assertTrue(assertThrows(ModelUnavailableException.class, loader::require).getMessage().contains("still loading"));
    }

    @Test
    void aMissingMultilingualTowerIsNamedAsSuchWithoutTheOfflineHint() {
        ModelLoader loader = loader("rag.model.text-tower", "multilingual", "rag.model.text-dir", "target/no-text-tower-here");
        loader.load();
        assertEquals(LoadStatus.FAILED, loader.state().status());
        assertEquals("no multilingual text tower in target/no-text-tower-here", loader.state().summary());
        assertTrue(loader.state().reason().contains("onnx-models/download.sh --multilingual"), loader.state().reason());
        // Starting with the tiny CLIP model would not bring a multilingual tower.
        assertTrue(!loader.state().reason().contains("-Drag.model.dir="), loader.state().reason());
    }

    @Test
    void anUnopenableModelIsSummarisedWithoutTheOfflineHint() {
        ModelLoader loader = loader("rag.model.device", "cuda");
        loader.load();
        assertEquals("the CLIP model could not be opened", loader.state().summary());
        assertTrue(!loader.state().reason().contains("-Drag.model.dir="), loader.state().reason());
    }
}
