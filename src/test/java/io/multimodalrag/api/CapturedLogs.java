package io.multimodalrag.api;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import org.jboss.logmanager.ExtLogRecord;
import org.jboss.logmanager.LogContext;

/**
 * Every log record of the running service (all categories, all levels that are enabled), with
 * its formatted message, its trace id (MDC {@code traceId}) and the messages of its exception chain, while open.
 */
final class CapturedLogs extends Handler implements AutoCloseable {

    private final List<String> lines = new ArrayList<>();
    private final java.util.logging.Logger root = LogContext.getLogContext().getLogger("");

    private CapturedLogs() {
    }

    static CapturedLogs start() {
        CapturedLogs logs = new CapturedLogs();
        logs.root.addHandler(logs);
        return logs;
    }

    @Override
    public synchronized void publish(LogRecord record) {
        StringBuilder line = new StringBuilder(record.getLoggerName()).append(' ').append(record.getLevel()).append(' ');
        line.append(record instanceof ExtLogRecord ext ? ext.getFormattedMessage() : record.getMessage());
        if (record instanceof ExtLogRecord ext && ext.getMdc("traceId") != null) {
            line.append(" traceId=").append(ext.getMdc("traceId"));
        }
        for (Throwable cause = record.getThrown(); cause != null; cause = cause.getCause()) {
            line.append(" | ").append(cause);
        }
        lines.add(line.toString());
    }

    /** All lines captured so far, joined by newlines. */
    synchronized String text() {
        return String.join("\n", lines);
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        root.removeHandler(this);
    }
}
