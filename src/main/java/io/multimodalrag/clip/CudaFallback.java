package io.multimodalrag.clip;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Why CUDA could not be used, sorted into the few causes an operator can act on, read from
 * ONNX Runtime's error message and what the machine shows of a GPU ({@link HostGpu}).
 *
 * <p>ONNX Runtime's messages are the only evidence: the Java API reports a missing CUDA or cuDNN
 * library as the dynamic loader's text inside an {@code OrtException}, and a missing driver or
 * device as a CUDA error number. The patterns below are the ones ONNX Runtime 1.x prints.
 *
 * @param cause       the kind of problem
 * @param explanation what is wrong and what to do, in one sentence
 */
public record CudaFallback(Cause cause, String explanation) {

    /** The kinds of problem, from the build outwards to the hardware. */
    public enum Cause {
        /** The ONNX Runtime on the class path is the CPU build. */
        NO_GPU_BUILD,
        /** No NVIDIA driver, or one too old for CUDA 12. */
        DRIVER,
        /** A driver, but no GPU visible to this process. */
        NO_DEVICE,
        /** A CUDA or cuDNN runtime library missing, or of the wrong major version. */
        CUDA_LIBRARIES,
        /** None of the above; the message itself is all there is. */
        UNKNOWN
    }

    /** What the GPU build of ONNX Runtime 1.23 is linked against. */
    static final String REQUIRED = "ONNX Runtime 1.23's GPU build needs CUDA 12.x and cuDNN 9.x";

    private static final Pattern MISSING_LIBRARY = Pattern.compile(
            "(lib[A-Za-z0-9_]+\\.so(?:\\.\\d+)*): cannot open shared object file");
    private static final Pattern WRONG_VERSION = Pattern.compile(
            "version `[^']+' not found|undefined symbol|CUDNN_STATUS_VERSION_MISMATCH|CUDNN_STATUS_SUBLIBRARY_VERSION_MISMATCH");

    /** The CPU build of ONNX Runtime is on the class path. */
    public static CudaFallback noGpuBuild() {
        return new CudaFallback(Cause.NO_GPU_BUILD,
                "this build of ONNX Runtime has no CUDA provider; build with -Pgpu (onnxruntime_gpu) to use a GPU");
    }

    /** Sorts ONNX Runtime's message {@code ortMessage} about enabling CUDA into a cause. */
    public static CudaFallback classify(String ortMessage, HostGpu host) {
        String message = ortMessage == null ? "" : ortMessage;
        Optional<String> missing = missingLibrary(message);

        if (missing.filter(lib -> lib.startsWith("libcuda.so")).isPresent()) {
            return new CudaFallback(Cause.DRIVER, "the NVIDIA driver's " + missing.get() + " cannot be loaded ("
                    + host.describe() + "); install the driver, or on Kubernetes request nvidia.com/gpu so that the "
                    + "device plugin mounts it");
        }
        if (contains(message, "driver version is insufficient", "cudaErrorInsufficientDriver", "CUDA failure 35:")) {
            return new CudaFallback(Cause.DRIVER, "the NVIDIA driver is too old for CUDA 12 (" + host.describe()
                    + "); " + REQUIRED + ", which needs driver 525 or newer");
        }
        if (contains(message, "no CUDA-capable device", "cudaErrorNoDevice", "CUDA failure 100:")) {
            if (host.driverVersion().isEmpty()) {
                return new CudaFallback(Cause.DRIVER, "no NVIDIA driver is loaded (" + host.describe()
                        + "); install the driver on the host");
            }
            return new CudaFallback(Cause.NO_DEVICE, "the NVIDIA driver is loaded but no GPU is visible to this "
                    + "process (" + host.describe() + "); check CUDA_VISIBLE_DEVICES, or on Kubernetes that the pod "
                    + "requests nvidia.com/gpu");
        }
        if (missing.isPresent()) {
            return new CudaFallback(Cause.CUDA_LIBRARIES, missing.get() + " cannot be loaded: " + REQUIRED
                    + " runtime libraries (cudart, cublas, cublasLt, cufft, curand, cudnn) on the library path, e.g. "
                    + "an nvidia/cuda:12.x-cudnn-runtime base image");
        }
        if (WRONG_VERSION.matcher(message).find()) {
            return new CudaFallback(Cause.CUDA_LIBRARIES, "a CUDA or cuDNN library has the wrong version: " + REQUIRED
                    + "; cuDNN 8 does not work with it");
        }
        if (contains(message, "Failed to load shared library", "Failed to load library libonnxruntime_providers_cuda")) {
            if (!host.driverVisible()) {
                return new CudaFallback(Cause.DRIVER, "ONNX Runtime's CUDA provider cannot be loaded and no NVIDIA driver "
                        + "is visible (" + host.describe() + ")");
            }
            return new CudaFallback(Cause.CUDA_LIBRARIES, "ONNX Runtime's CUDA provider cannot be loaded: " + REQUIRED
                    + "; run ldd on libonnxruntime_providers_cuda.so (extracted to java.io.tmpdir) to see which is missing");
        }
        if (!host.driverVisible()) {
            return new CudaFallback(Cause.DRIVER, "CUDA failed and no NVIDIA driver is visible (" + host.describe() + ")");
        }
        return new CudaFallback(Cause.UNKNOWN, "CUDA failed for a reason not recognised (" + host.describe()
                + "); see ONNX Runtime's message");
    }

    /** The cause as a short lower-case label for log lines. */
    public String label() {
        return switch (cause) {
            case NO_GPU_BUILD -> "no GPU build";
            case DRIVER -> "NVIDIA driver missing or too old";
            case NO_DEVICE -> "no GPU visible";
            case CUDA_LIBRARIES -> "CUDA or cuDNN library missing or wrong version";
            case UNKNOWN -> "unrecognised CUDA failure";
        };
    }

    private static Optional<String> missingLibrary(String message) {
        Matcher matcher = MISSING_LIBRARY.matcher(message);
        return matcher.find() ? Optional.of(matcher.group(1)) : Optional.empty();
    }

    private static boolean contains(String message, String... needles) {
        String lower = message.toLowerCase(Locale.ROOT);
        for (String needle : needles) {
            if (lower.contains(needle.toLowerCase(Locale.ROOT))) {
                return true;
            }
        }
        return false;
    }
}
