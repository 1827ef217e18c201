package io.multimodalrag.clip;

import java.time.Duration;

/**
 * How far the download of one file has gone.
 *
 * @param path the file's path in the repository
 * @param bytes bytes received so far
 * @param totalBytes the file's size, or -1 when neither the manifest nor the server says
 * @param elapsed time since the request for this file was sent
 * @param done whether this is the last report for the file (received in full, not yet verified)
 */
public record DownloadProgress(String path, long bytes, long totalBytes, Duration elapsed, boolean done) {

    private static final double MB = 1_000_000d;

    /** Average speed so far, in MB (10^6 bytes) per second. */
    public double megabytesPerSecond() {
        double seconds = elapsed.toNanos() / 1e9;
        return seconds <= 0 ? 0 : bytes / MB / seconds;
    }

    /** Percent received, or -1 when the size is unknown. */
    public int percent() {
        return totalBytes <= 0 ? -1 : (int) Math.min(100, bytes * 100 / totalBytes);
    }

    /** e.g. {@code onnx/vision_model.onnx: 35.2 of 351.7 MB (10%), 12.3 MB/s}. */
    @Override
    public String toString() {
        String size = totalBytes < 0
                ? String.format("%.1f MB", bytes / MB)
                : String.format("%.1f of %.1f MB (%d%%)", bytes / MB, totalBytes / MB, percent());
        return String.format("%s: %s, %.1f MB/s", path, size, megabytesPerSecond());
    }
}
