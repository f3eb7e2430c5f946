package dev.streamclassifier.job;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Records the log lines of this JVM while open, so a test can check what would end up in a log file: every line at
 * INFO and above, including those of Kafka's clients and Flink ({@link #everythingAtInfo}), or the lines the test
 * configuration lets through ({@link #asConfigured}).
 */
final class LogCapture implements AutoCloseable {
    private final LoggerContext context = (LoggerContext) LogManager.getContext(false);
    private final Map<String, Level> previousLevels = new java.util.HashMap<>();
    private final List<String> lines = java.util.Collections.synchronizedList(new ArrayList<>());
    private final AbstractAppender appender = new AbstractAppender("capture", null, null, true, Property.EMPTY_ARRAY) {
        @Override
        public void append(LogEvent event) {
            StringBuilder line = new StringBuilder(event.getMessage().getFormattedMessage());
            if (event.getThrown() != null) {
                line.append(' ').append(event.getThrown());
            }
            lines.add(line.toString());
        }
    };

    static LogCapture everythingAtInfo() {
        return new LogCapture(true);
    }

    /** Without changing any level: a test that counts its own lines need not flood its log with everyone else's. */
    static LogCapture asConfigured() {
        return new LogCapture(false);
    }

    private LogCapture(boolean raiseToInfo) {
        appender.start();
        Configuration configuration = context.getConfiguration();
        // getLoggers() holds the root logger too (its parent is null).
        for (LoggerConfig logger : configuration.getLoggers().values()) {
            if (raiseToInfo) {
                previousLevels.put(logger.getName(), logger.getLevel());
                logger.setLevel(Level.INFO);
            }
            // An additive logger's events reach its parents' appenders too: attached there as well, each line would be
            // recorded once per level (counting tests would count it twice).
            if (!logger.isAdditive() || logger.getParent() == null) {
                logger.addAppender(appender, Level.INFO, null);
            }
        }
        context.updateLoggers();
    }

    List<String> lines() {
        synchronized (lines) {
            return List.copyOf(lines);
        }
    }

    @Override
    public void close() {
        Configuration configuration = context.getConfiguration();
        for (LoggerConfig logger : configuration.getLoggers().values()) {
            logger.removeAppender("capture");
            Level previous = previousLevels.get(logger.getName());
            if (previous != null) {
                logger.setLevel(previous);
            }
        }
        context.updateLoggers();
        appender.stop();
    }
}
