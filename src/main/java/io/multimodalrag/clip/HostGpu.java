package io.multimodalrag.clip;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What this machine shows of an NVIDIA GPU without asking CUDA: the kernel driver's version line
 * ({@code /proc/driver/nvidia/version}, present when the driver is loaded, also inside containers)
 * and where the driver's user-space library {@code libcuda.so.1} is, if anywhere on the usual
 * paths. Only used to word the reason when CUDA cannot be used; it decides nothing.
 *
 * @param driverVersion the first line of {@code /proc/driver/nvidia/version}, when readable
 * @param libcuda       the first {@code libcuda.so.1} found on {@code LD_LIBRARY_PATH} or the
 *                      distributions' library folders
 */
public record HostGpu(Optional<String> driverVersion, Optional<Path> libcuda) {

    private static final Path DRIVER_VERSION = Path.of("/proc/driver/nvidia/version");

    /**
     * Where {@code libcuda.so.1} lands: Debian/Ubuntu and RHEL layouts, the NVIDIA container
     * toolkit's and GKE's injection folders, WSL.
     */
    private static final List<String> LIBRARY_FOLDERS = List.of("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
            "/usr/lib64", "/usr/lib", "/usr/local/nvidia/lib64", "/usr/local/nvidia/lib", "/usr/lib/wsl/lib");

    /** Reads the facts of the machine this runs on. */
    public static HostGpu probe() {
        Optional<String> version = Optional.empty();
        try {
            if (Files.isReadable(DRIVER_VERSION)) {
                version = Files.readAllLines(DRIVER_VERSION, StandardCharsets.UTF_8).stream().findFirst().map(String::strip);
            }
        } catch (IOException | RuntimeException e) {
            // An unreadable file says no more than an absent one.
        }
        Set<String> folders = new LinkedHashSet<>();
        String ldLibraryPath = System.getenv("LD_LIBRARY_PATH");
        if (ldLibraryPath != null) {
            for (String folder : ldLibraryPath.split(":")) {
                if (!folder.isBlank()) {
                    folders.add(folder);
                }
            }
        }
        folders.addAll(LIBRARY_FOLDERS);
        List<Path> candidates = new ArrayList<>();
        for (String folder : folders) {
            candidates.add(Path.of(folder, "libcuda.so.1"));
        }
        Optional<Path> libcuda = candidates.stream().filter(Files::exists).findFirst();
        return new HostGpu(version, libcuda);
    }

    /** Whether anything of the NVIDIA driver is visible. */
    public boolean driverVisible() {
        return driverVersion.isPresent() || libcuda.isPresent();
    }

    /** One clause for the log: what was and was not found. */
    public String describe() {
        String kernel = driverVersion.map(v -> "kernel driver loaded (" + v + ")")
                .orElse("no NVIDIA kernel driver (/proc/driver/nvidia/version absent)");
        String library = libcuda.map(p -> "libcuda.so.1 at " + p)
                .orElse("libcuda.so.1 not found on LD_LIBRARY_PATH or the usual library folders");
        return kernel + "; " + library;
    }
}
