package io.multimodalrag.search;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** An entry's image as its store keeps it: a file the server can send as it is, or bytes read from a database. */
public sealed interface StoredImage {

    /** The image's size in bytes. */
    long length();

    /** The image's bytes, read whole. */
    byte[] bytes();

    /** An image in a file of the files store. */
    record InFile(Path file, long length) implements StoredImage {
        @Override
        public byte[] bytes() {
            try {
                return Files.readAllBytes(file);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** An image read into memory. */
    record InMemory(byte[] bytes) implements StoredImage {
        @Override
        public long length() {
            return bytes.length;
        }
    }
}
