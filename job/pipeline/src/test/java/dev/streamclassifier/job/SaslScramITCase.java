package dev.streamclassifier.job;

import dev.streamclassifier.job.config.JobConfig;
import dev.streamclassifier.job.config.JobOptions;
import dev.streamclassifier.job.config.OptionsHelp;
import dev.streamclassifier.job.kafka.KafkaCheck;
import dev.streamclassifier.schemas.ClassifiedEvent;
import dev.streamclassifier.schemas.SingleObjectCodec;
import dev.streamclassifier.testkit.EmbeddedKafka;
import dev.streamclassifier.testkit.KafkaClients;
import dev.streamclassifier.testkit.SampleEvents;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The job against a broker that requires SASL/SCRAM: the security settings given as {@code KAFKA.kafka().properties.*} reach
 * every source and sink, wrong credentials fail at start-up with a clear message, and the password shows up nowhere.
 */
class SaslScramITCase {
    private static final String USER = "stream-classifier";
    private static final String PASSWORD = "correct-horse-battery-staple";
    private static final String SCRAM = "org.apache.kafka.common.security.scram.ScramLoginModule";

    @RegisterExtension
    static final MiniClusterExtension FLINK = KafkaExtension.flinkMiniCluster();

    @RegisterExtension
    static final KafkaExtension KAFKA = KafkaExtension.withSasl();

    @BeforeAll
    static void createUser() throws Exception {
        KAFKA.kafka().createScramUser(USER, PASSWORD);
    }

    private static Configuration options(String suffix, String password) {
        Configuration options = ItOptions.of(KAFKA.kafka(), suffix);
        EmbeddedKafka.saslClientProperties("SCRAM-SHA-256", SCRAM, USER, password).forEach((key, value) ->
                options.setString(JobOptions.KAFKA_PROPERTIES_PREFIX + key, value));
        return options;
    }

    @Test
    void classifiesThroughAnAuthenticatedBrokerWithoutLoggingThePassword() throws Exception {
        try (LogCapture logs = LogCapture.everythingAtInfo()) {
            runPipeline();
            assertThat(logs.lines()).as("log lines at INFO and above").isNotEmpty()
                    .noneMatch(line -> line.contains(PASSWORD));
        }
    }

    private void runPipeline() throws Exception {
        Configuration options = options("sasl", PASSWORD);
        ItOptions.createTopics(KAFKA.kafka(), options);
        check(options);
        SampleEvents samples = new SampleEvents(5);
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(KAFKA.kafka().adminProperties(), 0)) {
            for (int i = 0; i < 20; i++) {
                producer.send(new ProducerRecord<>(options.get(JobOptions.CHATS_TOPIC),
                        samples.avro(samples.chat("c" + i))));
            }
        }

        ItOptions.runBounded(options, "sasl-it");

        SingleObjectCodec<ClassifiedEvent> codec = SingleObjectCodec.of(ClassifiedEvent.getClassSchema());
        List<String> ids = new ArrayList<>();
        for (String topic : List.of("moderation-sasl", "review-sasl")) {
            for (byte[] value : KafkaClients.readCommitted(KAFKA.kafka().adminProperties(), topic)) {
                ids.add(codec.decode(value).getSourceId());
            }
        }
        assertThat(ids).hasSize(20).doesNotHaveDuplicates();
    }

    @Test
    void wrongCredentialsFailAtStartUpWithAClearMessageAndNoSecret() {
        Configuration options = options("sasl-wrong", "not-the-password");

        assertThatThrownBy(() -> check(options))
                .hasMessageContaining("cannot talk to Kafka")
                .hasMessageContaining("Authentication failed")
                .hasMessageContaining("kafka.properties")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("not-the-password"));
        assertThat(OptionsHelp.masked(options).toString()).doesNotContain("not-the-password", PASSWORD);
        assertThat(OptionsHelp.masked(options)).containsEntry("kafka.properties.sasl.mechanism", "SCRAM-SHA-256");
    }

    @Test
    void withoutSecuritySettingsTheBrokerIsNotReachable() {
        Configuration options = ItOptions.of(KAFKA.kafka(), "sasl-none");
        options.setString("kafka.properties.default.api.timeout.ms", "4000");
        options.setString("kafka.properties.request.timeout.ms", "2000");

        assertThatThrownBy(() -> check(options)).hasMessageContaining("kafka.properties");
    }

    private static void check(Configuration options) {
        JobConfig config = JobConfig.from(options);
        KafkaCheck.check(config.sources().client(), config.kafkaRequirements());
    }
}
