package io.multimodalrag.search;

/** No knowledge-base entry has the given id. */
public final class UnknownEntryException extends RuntimeException {

    public UnknownEntryException(String id) {
        super("no knowledge-base image with id '" + (id.length() > 64 ? id.substring(0, 64) + "…" : id) + "'",
                null, false, false);
    }

    /** The entry is known but its image is gone from its store (a file deleted behind the service's back). */
    public UnknownEntryException(String id, String message) {
        super(message, null, false, false);
    }
}
