package io.multimodalrag.search;

/** An import that cannot be done as asked: the wrong store, no catalogue to import, or one that cannot be read. */
public final class ImportRefusedException extends RuntimeException {

    public ImportRefusedException(String message) {
        super(message, null, false, false);
    }
}
