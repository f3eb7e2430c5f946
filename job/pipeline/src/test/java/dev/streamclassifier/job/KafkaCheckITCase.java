package dev.streamclassifier.job;

import dev.streamclassifier.job.config.JobConfig;
import dev.streamclassifier.job.config.JobOptions;
import dev.streamclassifier.job.kafka.KafkaCheck;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The Kafka side of the start-up checks, against a real broker. */
class KafkaCheckITCase {
    @RegisterExtension
    static final KafkaExtension KAFKA = new KafkaExtension();

    @Test
    void passesWhenEverythingIsThere() throws Exception {
        Configuration options = ItOptions.of(KAFKA.kafka(), "check-ok");
        ItOptions.createTopics(KAFKA.kafka(), options);

        check(options);
    }

    @Test
    void namesMissingTopics() {
        Configuration options = ItOptions.of(KAFKA.kafka(), "check-missing");

        assertThatThrownBy(() -> check(options))
                .hasMessageContaining("do not exist").hasMessageContaining("chats-check-missing");
    }

    @Test
    void rejectsATransactionTimeoutAboveTheBrokersMaximum() throws Exception {
        Configuration options = ItOptions.of(KAFKA.kafka(), "check-timeout")
                // The user claims the brokers allow an hour; the broker itself says 15 minutes.
                .set(JobOptions.BROKER_MAX_TRANSACTION_TIMEOUT, Duration.ofHours(1))
                .set(JobOptions.TRANSACTION_TIMEOUT, Duration.ofMinutes(20));
        ItOptions.createTopics(KAFKA.kafka(), options);

        assertThatThrownBy(() -> check(options))
                .hasMessageContaining("transaction.max.timeout.ms (15 min)");
    }

    @Test
    void saysWhenKafkaCannotBeReached() {
        Configuration options = ItOptions.of(KAFKA.kafka(), "check-down")
                .set(JobOptions.BOOTSTRAP_SERVERS, "localhost:1");
        options.setString("kafka.properties.default.api.timeout.ms", "3000");
        options.setString("kafka.properties.request.timeout.ms", "2000");

        assertThatThrownBy(() -> check(options))
                .hasMessageContaining("localhost:1").hasMessageContaining("kafka.bootstrap-servers");
    }

    private static void check(Configuration options) {
        JobConfig config = JobConfig.from(options);
        KafkaCheck.check(config.sources().client(), config.allTopics(), true, config.sink().transactionTimeout());
    }
}
