package dev.streamclassifier.job;

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
        ClassifierOptions options = ItOptions.of(KAFKA.kafka(), "check-ok").validate();
        ItOptions.createTopics(KAFKA.kafka(), options);

        KafkaCheck.check(options);
    }

    @Test
    void namesMissingTopics() {
        ClassifierOptions options = ItOptions.of(KAFKA.kafka(), "check-missing").validate();

        assertThatThrownBy(() -> KafkaCheck.check(options))
                .hasMessageContaining("do not exist").hasMessageContaining("chats-check-missing");
    }

    @Test
    void rejectsATransactionTimeoutAboveTheBrokersMaximum() throws Exception {
        ClassifierOptions options = ItOptions.of(KAFKA.kafka(), "check-timeout")
                // The user claims the brokers allow an hour; the broker itself says 15 minutes.
                .set(ClassifierOptions.BROKER_MAX_TRANSACTION_TIMEOUT, Duration.ofHours(1))
                .set(ClassifierOptions.TRANSACTION_TIMEOUT, Duration.ofMinutes(20))
                .validate();
        ItOptions.createTopics(KAFKA.kafka(), options);

        assertThatThrownBy(() -> KafkaCheck.check(options))
                .hasMessageContaining("transaction.max.timeout.ms (PT15M)");
    }

    @Test
    void saysWhenKafkaCannotBeReached() {
        ClassifierOptions options = ItOptions.of(KAFKA.kafka(), "check-down")
                .set(ClassifierOptions.BOOTSTRAP_SERVERS, "localhost:1")
                .validate();
        options.configuration().setString("kafka.properties.default.api.timeout.ms", "3000");
        options.configuration().setString("kafka.properties.request.timeout.ms", "2000");

        assertThatThrownBy(() -> KafkaCheck.check(options))
                .hasMessageContaining("localhost:1").hasMessageContaining("kafka.bootstrap-servers");
    }
}
