package dev.streamclassifier.deploy;

import org.apache.logging.log4j.core.Filter;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.ConfigurationSource;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.properties.PropertiesConfiguration;
import org.apache.logging.log4j.core.config.properties.PropertiesConfigurationFactory;
import org.apache.logging.log4j.core.impl.Log4jLogEvent;
import org.apache.logging.log4j.message.SimpleMessage;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The lines the image appends to Flink's log configuration drop the WARN Flink 2.2 repeats at every checkpoint, and
 * nothing else of that logger.
 */
class QuietLogTest {
    private static final String LOGGER = "org.apache.flink.metrics.MetricGroup";

    private static Filter.Result decide(LoggerConfig logger, String message) {
        return logger.getFilter().filter(Log4jLogEvent.newBuilder().setLoggerName(LOGGER)
                .setLevel(org.apache.logging.log4j.Level.WARN).setMessage(new SimpleMessage(message)).build());
    }

    @Test
    void dropsOnlyThePendingCommittablesNameCollision() throws Exception {
        Path quiet = DeployFiles.deployDir().resolve("flink/log4j-quiet.properties");
        // As appended to a log4j-console.properties: a console root logger, then these lines.
        String configuration = "rootLogger.level = INFO\nrootLogger.appenderRef.console.ref = console\n"
                + "appender.console.type = Console\nappender.console.name = console\n" + Files.readString(quiet);
        PropertiesConfiguration parsed = new PropertiesConfigurationFactory().getConfiguration(
                new LoggerContext("quiet-log-test"), new ConfigurationSource(new ByteArrayInputStream(
                        configuration.getBytes(StandardCharsets.UTF_8))));
        parsed.initialize();
        LoggerConfig logger = parsed.getLoggerConfig(LOGGER);

        assertThat(logger.getName()).isEqualTo(LOGGER);
        assertThat(decide(logger, "Name collision: Group already contains a Metric with the name "
                + "'pendingCommittables'. Metric will not be reported.[localhost, taskmanager]"))
                .isEqualTo(Filter.Result.DENY);
        assertThat(decide(logger, "Name collision: Group already contains a Metric with the name 'numRecordsIn'."))
                .isEqualTo(Filter.Result.NEUTRAL);
        assertThat(Files.readString(DeployFiles.deployDir().resolve("Dockerfile")))
                .contains("deploy/flink/log4j-quiet.properties")
                .contains(">> /opt/flink/conf/log4j-console.properties");
    }
}
