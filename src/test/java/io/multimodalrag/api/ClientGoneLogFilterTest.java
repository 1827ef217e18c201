package io.multimodalrag.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.util.logging.Level;
import org.jboss.logmanager.ExtLogRecord;
import org.junit.jupiter.api.Test;

/** Only a failed write to a connection the client closed is lowered; every other record passes unchanged. */
class ClientGoneLogFilterTest {

    private final ClientGoneLogFilter filter = new ClientGoneLogFilter();

    @Test
    void aWriteToAClosedConnectionIsLoweredToDebugAndDroppedAtInfo() {
        ExtLogRecord record = sseError(new ClosedChannelException());
        assertFalse(filter.isLoggable(record), "DEBUG is off for the category, so the record goes nowhere");
        assertEquals(Level.FINE, record.getLevel());

        ExtLogRecord wrapped = sseError(new UncheckedIOException(new IOException("write failed",
                new ClosedChannelException())));
        assertFalse(filter.isLoggable(wrapped));

        // The socket's view of the same: which of the two a write meets depends on timing.
        assertFalse(filter.isLoggable(sseError(new IOException("Broken pipe"))));
        assertFalse(filter.isLoggable(sseError(new IOException("writevAddresses(..) failed: Connection reset by peer"))));
        assertTrue(filter.isLoggable(sseError(new IOException("No space left on device"))));
    }

    @Test
    void otherFailuresStayErrors() {
        ExtLogRecord record = sseError(new IllegalStateException("could not serialise the event"));
        assertTrue(filter.isLoggable(record));
        assertEquals(org.jboss.logmanager.Level.ERROR, record.getLevel());

        ExtLogRecord noCause = sseError(null);
        assertTrue(filter.isLoggable(noCause));
        assertEquals(org.jboss.logmanager.Level.ERROR, noCause.getLevel());
    }

    private static ExtLogRecord sseError(Throwable thrown) {
        ExtLogRecord record = new ExtLogRecord(org.jboss.logmanager.Level.ERROR,
                "Exception in SSE server handling, impossible to send it to client", ClientGoneLogFilterTest.class.getName());
        record.setLoggerName(ClientGoneLogFilter.SSE_WRITER);
        record.setThrown(thrown);
        return record;
    }
}
