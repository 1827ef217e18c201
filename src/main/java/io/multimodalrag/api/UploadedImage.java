package io.multimodalrag.api;

import io.multimodalrag.config.RagConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.file.Path;
import org.jboss.resteasy.reactive.multipart.FileUpload;

/** Checks the {@code image} part of a multipart upload before any work is spent on it. */
@ApplicationScoped
public class UploadedImage {

    private final long maxBytes;

    public UploadedImage(RagConfig config) {
        this.maxBytes = config.upload().maxSize().asLongValue();
    }

    /** The uploaded file, or a 400/413 problem. */
    public Path require(FileUpload image) {
        if (image == null || image.uploadedFile() == null) {
            throw ApiException.badField("the multipart part 'image' is missing; send the photo as -F image=@photo.jpg");
        }
        if (image.size() > maxBytes) {
            throw ApiException.tooLarge("the image is " + image.size() + " bytes; the limit is " + maxBytes + " bytes");
        }
        return image.uploadedFile();
    }

    public long maxBytes() {
        return maxBytes;
    }
}
