package dev.streamclassifier.job;

import dev.streamclassifier.job.config.JobConfig;
import dev.streamclassifier.job.config.JobOptions;
import dev.streamclassifier.job.kafka.KafkaCheck;
import org.apache.flink.configuration.Configuration;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

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
    void rejectsAnOutputTopicThatCannotTakeTheLargestRecord() throws Exception {
        Configuration options = ItOptions.of(KAFKA.kafka(), "check-size");
        ItOptions.createTopics(KAFKA.kafka(), options);
        try (Admin admin = Admin.create(KAFKA.kafka().adminProperties())) {
            admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, "review-check-size"),
                    List.of(new AlterConfigOp(new ConfigEntry("max.message.bytes", "500000"),
                            AlterConfigOp.OpType.SET)))).all().get(30, TimeUnit.SECONDS);
        }

        assertThatThrownBy(() -> check(options))
                .hasMessageContaining("topic review-check-size takes records up to 500000 bytes (max.message.bytes)")
                .hasMessageContaining("lower sink.max-record-bytes to 498976");
        check(options.set(JobOptions.MAX_RECORD_BYTES, 498_976));
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
        KafkaCheck.check(config.sources().client(), config.kafkaRequirements());
    }
}
