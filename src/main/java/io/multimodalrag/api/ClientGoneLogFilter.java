package io.multimodalrag.api;

import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.nio.channels.ClosedChannelException;
import java.util.logging.Filter;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.jboss.logmanager.LogContext;

/**
 * A client that closes a streamed answer (an SSE ask) while an event is on its way is normal: the stream is
 * cancelled and the LLM call closed. But Quarkus REST's SSE writer then logs the failed write as an ERROR with a
 * stack trace ("impossible to send it to client"). Such records, and only those whose cause is the closed
 * connection, are lowered to DEBUG here, so that the server-error log keeps meaning a server error.
 *
 * <p>Likewise Vert.x logs a connection reset that no request was waiting on as an ERROR ("Connection reset"): an
 * upstream (the vision LLM, a load balancer before it) closing a kept-alive connection after its answer arrived, or
 * a client resetting ours after its answer. A reset during a call fails that call, which says so itself (the LLM
 * call's WARN and the client's problem), so these records are lowered to DEBUG too.
 */
@ApplicationScoped
public class ClientGoneLogFilter implements Filter {

    /** The category of Quarkus REST's SSE and streaming writer. */
    static final String SSE_WRITER = "org.jboss.resteasy.reactive.server.handlers.PublisherResponseHandler";
    /** The category of Vert.x's connections, client and server, where an exception nobody handles is logged. */
    static final String CONNECTIONS = "io.vertx.core.net.impl.ConnectionBase";

    void install(@Observes StartupEvent event) {
        LogContext.getLogContext().getLogger(SSE_WRITER).setFilter(this);
        LogContext.getLogContext().getLogger(CONNECTIONS).setFilter(this);
    }

    /** Lowers a write-to-a-closed-connection failure or a reset to DEBUG; lets every other record through unchanged. */
    @Override
    public boolean isLoggable(LogRecord record) {
        if (record.getLevel().intValue() > Level.FINE.intValue()
                && (causedByClosedConnection(record.getThrown()) || isReset(record.getMessage()))) {
            record.setLevel(Level.FINE);
            return LogContext.getLogContext().getLogger(record.getLoggerName()).isLoggable(Level.FINE);
        }
        return true;
    }

    /** Vert.x's message for a reset connection: the socket's exception message, logged on its own. */
    static boolean isReset(String message) {
        return message != null && (message.equals("Connection reset") || message.equals("Connection reset by peer"));
    }

    static boolean causedByClosedConnection(Throwable thrown) {
        for (Throwable cause = thrown; cause != null; cause = cause.getCause()) {
            if (cause instanceof ClosedChannelException) {
                return true;
            }
            // The same, seen by the socket rather than the channel: which one a write meets is a matter of timing.
            if (cause instanceof java.io.IOException && cause.getMessage() != null
                    && (cause.getMessage().contains("Broken pipe") || cause.getMessage().contains("Connection reset by peer"))) {
                return true;
            }
        }
        return false;
    }
}
