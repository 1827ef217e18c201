package io.multimodalrag.clip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multimodalrag.clip.CudaFallback.Cause;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The CUDA fallback reasons, on messages as ONNX Runtime's Java API reports them (the
 * {@code OrtException} text, wrapped by {@link ClipModel#open} as "ONNX Runtime could not load …").
 * No GPU is needed: the messages are the ones ONNX Runtime prints on machines that lack one part.
 */
class CudaFallbackTest {

    private static final HostGpu NO_DRIVER = new HostGpu(Optional.empty(), Optional.empty());
    private static final HostGpu DRIVER = new HostGpu(
            Optional.of("NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar  5 22:23:56 UTC 2024"),
            Optional.of(Path.of("/usr/lib/x86_64-linux-gnu/libcuda.so.1")));
    private static final HostGpu KERNEL_ONLY = new HostGpu(DRIVER.driverVersion(), Optional.empty());

    private static String wrapped(String ortMessage) {
        return "ONNX Runtime could not load vision_model.onnx: Error code - ORT_RUNTIME_EXCEPTION - message: " + ortMessage;
    }

    private static String providerLoadFailure(String loaderError) {
        return wrapped("/onnxruntime_src/onnxruntime/core/session/provider_bridge_ort.cc:1778 onnxruntime::Provider& "
                + "onnxruntime::ProviderLibrary::Get() [ONNXRuntimeError] : 1 : FAIL : Failed to load library "
                + "libonnxruntime_providers_cuda.so with error: " + loaderError);
    }

    private static String cudaFailure(int code, String text) {
        return wrapped("[ONNXRuntimeError] : 1 : FAIL : CUDA failure " + code + ": " + text + " ; GPU=-1 ; hostname=pod-1 ; "
                + "file=/onnxruntime_src/onnxruntime/core/providers/cuda/cuda_execution_provider.cc ; line=282 ; "
                + "expr=cudaSetDevice(info_.device_id);");
    }

    @Test
    void theCpuBuildSaysToBuildWithTheGpuProfile() {
        CudaFallback why = CudaFallback.noGpuBuild();
        assertEquals(Cause.NO_GPU_BUILD, why.cause());
        assertTrue(why.explanation().contains("-Pgpu"), why.explanation());
        assertEquals("no GPU build", why.label());
    }

    @Test
    void aMissingCudnnIsALibraryProblemNamingTheLibraryAndTheVersionsNeeded() {
        CudaFallback why = CudaFallback.classify(
                providerLoadFailure("libcudnn.so.9: cannot open shared object file: No such file or directory"), DRIVER);
        assertEquals(Cause.CUDA_LIBRARIES, why.cause());
        assertTrue(why.explanation().startsWith("libcudnn.so.9 cannot be loaded"), why.explanation());
        assertTrue(why.explanation().contains("CUDA 12.x and cuDNN 9.x"), why.explanation());
    }

    @Test
    void aMissingCudaRuntimeLibraryIsALibraryProblemEvenWithoutADriver() {
        for (String library : new String[] {"libcublasLt.so.12", "libcudart.so.12", "libcufft.so.11", "libcudnn_adv.so.9"}) {
            CudaFallback why = CudaFallback.classify(
                    providerLoadFailure(library + ": cannot open shared object file: No such file or directory"), NO_DRIVER);
            assertEquals(Cause.CUDA_LIBRARIES, why.cause(), library);
            assertTrue(why.explanation().startsWith(library + " cannot be loaded"), why.explanation());
        }
    }

    @Test
    void aMissingLibcudaIsTheDriver() {
        CudaFallback why = CudaFallback.classify(
                providerLoadFailure("libcuda.so.1: cannot open shared object file: No such file or directory"), NO_DRIVER);
        assertEquals(Cause.DRIVER, why.cause());
        assertTrue(why.explanation().contains("libcuda.so.1"), why.explanation());
        assertTrue(why.explanation().contains("nvidia.com/gpu"), why.explanation());
        assertTrue(why.explanation().contains("/proc/driver/nvidia/version absent"), why.explanation());
    }

    @Test
    void anOldDriverIsTheDriver() {
        CudaFallback why = CudaFallback.classify(
                cudaFailure(35, "CUDA driver version is insufficient for CUDA runtime version"), DRIVER);
        assertEquals(Cause.DRIVER, why.cause());
        assertTrue(why.explanation().contains("too old"), why.explanation());
        assertTrue(why.explanation().contains("550.54.15"), "names the driver found: " + why.explanation());
    }

    @Test
    void noDeviceWithADriverLoadedIsAnInvisibleGpu() {
        CudaFallback why = CudaFallback.classify(cudaFailure(100, "no CUDA-capable device is detected"), KERNEL_ONLY);
        assertEquals(Cause.NO_DEVICE, why.cause());
        assertTrue(why.explanation().contains("CUDA_VISIBLE_DEVICES"), why.explanation());
    }

    @Test
    void noDeviceWithoutAKernelDriverIsTheDriver() {
        CudaFallback why = CudaFallback.classify(cudaFailure(100, "no CUDA-capable device is detected"), NO_DRIVER);
        assertEquals(Cause.DRIVER, why.cause());
        assertTrue(why.explanation().startsWith("no NVIDIA driver is loaded"), why.explanation());
    }

    @Test
    void aCudnnOfAnotherMajorVersionIsALibraryProblem() {
        CudaFallback symbol = CudaFallback.classify(providerLoadFailure(
                "/usr/lib/x86_64-linux-gnu/libcudnn.so.9: version `libcudnn.so.9' not found "
                        + "(required by libonnxruntime_providers_cuda.so)"), DRIVER);
        assertEquals(Cause.CUDA_LIBRARIES, symbol.cause());
        assertTrue(symbol.explanation().contains("wrong version"), symbol.explanation());

        CudaFallback cudnn = CudaFallback.classify(wrapped("[ONNXRuntimeError] : 1 : FAIL : CUDNN failure 1003: "
                + "CUDNN_STATUS_SUBLIBRARY_VERSION_MISMATCH ; GPU=0 ; expr=cudnnCreate(&cudnn_handle_);"), DRIVER);
        assertEquals(Cause.CUDA_LIBRARIES, cudnn.cause());
    }

    @Test
    void theOldOpaqueProviderMessageIsToldApartByTheHost() {
        String opaque = "ONNX Runtime could not load vision_model.onnx: Error code - ORT_FAIL - message: "
                + "OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library";
        assertEquals(Cause.DRIVER, CudaFallback.classify(opaque, NO_DRIVER).cause());
        CudaFallback withDriver = CudaFallback.classify(opaque, DRIVER);
        assertEquals(Cause.CUDA_LIBRARIES, withDriver.cause());
        assertTrue(withDriver.explanation().contains("ldd"), withDriver.explanation());
    }

    @Test
    void anUnrecognisedFailureIsUnknownWithADriverAndTheDriverWithout() {
        String odd = wrapped("[ONNXRuntimeError] : 6 : RUNTIME_EXCEPTION : CUDA failure 2: out of memory");
        assertEquals(Cause.UNKNOWN, CudaFallback.classify(odd, DRIVER).cause());
        assertEquals(Cause.DRIVER, CudaFallback.classify(odd, NO_DRIVER).cause());
        assertEquals(Cause.DRIVER, CudaFallback.classify(null, NO_DRIVER).cause());
    }

    @Test
    void theHostDescriptionSaysWhatWasAndWasNotFound() {
        assertFalse(NO_DRIVER.driverVisible());
        assertTrue(KERNEL_ONLY.driverVisible());
        assertTrue(KERNEL_ONLY.describe().contains("kernel driver loaded"), KERNEL_ONLY.describe());
        assertTrue(KERNEL_ONLY.describe().contains("libcuda.so.1 not found"), KERNEL_ONLY.describe());
        assertTrue(DRIVER.describe().contains("libcuda.so.1 at /usr/lib/x86_64-linux-gnu/libcuda.so.1"), DRIVER.describe());
    }

    @Test
    void probingThisMachineNeverFails() {
        HostGpu here = HostGpu.probe();
        assertEquals(here.driverVersion().isPresent() || here.libcuda().isPresent(), here.driverVisible());
    }
}
