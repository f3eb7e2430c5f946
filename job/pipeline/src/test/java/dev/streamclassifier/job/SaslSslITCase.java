package dev.streamclassifier.job;

import dev.streamclassifier.job.config.JobConfig;
import dev.streamclassifier.job.config.JobOptions;
import dev.streamclassifier.job.kafka.KafkaCheck;
import dev.streamclassifier.schemas.ClassifiedEvent;
import dev.streamclassifier.testkit.EmbeddedKafka;
import dev.streamclassifier.testkit.KafkaClients;
import dev.streamclassifier.testkit.SampleEvents;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The job against a broker that takes SASL over TLS only, with certificates this test makes: every source, the sink
 * and the start-up check reach it with the settings given as {@code kafka.properties.*}; the secrets come from Kafka's
 * config providers (a file, an environment variable) instead of the command line; and a truststore that does not hold
 * the brokers' CA fails at start-up with a message that says what to fix.
 */
class SaslSslITCase {
    private static final String USER = "tls-user";
    /** Set for the test JVM by the build (job/pipeline/pom.xml), as a Kubernetes Secret would set it for the job. */
    private static final String PASSWORD_VARIABLE = "STREAM_CLASSIFIER_TEST_SCRAM_PASSWORD";
    private static final Path DIRECTORY = Path.of(System.getProperty("java.io.tmpdir"), "sasl-ssl-it");

    @RegisterExtension
    static final MiniClusterExtension FLINK = KafkaExtension.flinkMiniCluster();

    private static TestCertificates certificates;
    private static EmbeddedKafka kafka;
    private static Path secrets;

    @BeforeAll
    static void startBroker() throws Exception {
        certificates = TestCertificates.create(DIRECTORY, "good");
        kafka = EmbeddedKafka.builder()
                // The test kit sets up SASL (its JAAS logins, mechanisms) for a SASL_PLAINTEXT listener; TLS is then
                // put on the client listener by the listener map and its key and trust stores.
                .securityProtocol(SecurityProtocol.SASL_PLAINTEXT)
                .brokerConfig("listener.security.protocol.map", "EXTERNAL:SASL_SSL,CONTROLLER:PLAINTEXT")
                .brokerConfig("listener.name.external.ssl.keystore.location", certificates.keyStore().toString())
                .brokerConfig("listener.name.external.ssl.keystore.password", certificates.password())
                .brokerConfig("listener.name.external.ssl.key.password", certificates.password())
                .brokerConfig("listener.name.external.ssl.keystore.type", "PKCS12")
                .brokerConfig("listener.name.external.ssl.truststore.location", certificates.trustStore().toString())
                .brokerConfig("listener.name.external.ssl.truststore.password", certificates.password())
                .brokerConfig("listener.name.external.ssl.truststore.type", "PKCS12")
                .brokerConfig("sasl.enabled.mechanisms", "PLAIN,SCRAM-SHA-256")
                .brokerConfig("allow.everyone.if.no.acl.found", "true")
                .adminClientConfig(Map.of("security.protocol", "SASL_SSL",
                        "ssl.truststore.location", certificates.trustStore().toString(),
                        "ssl.truststore.password", certificates.password(),
                        "ssl.truststore.type", "PKCS12"))
                .start();
        kafka.createScramUser(USER, password());
        secrets = DIRECTORY.resolve("kafka-secrets.properties");
        Files.writeString(secrets, "password=" + password() + "\ntruststore-password=" + certificates.password()
                + "\n");
    }

    @AfterAll
    static void stopBroker() throws Exception {
        kafka.close();
    }

    private static String password() {
        String password = System.getenv(PASSWORD_VARIABLE);
        assertThat(password).as("%s, set by the build", PASSWORD_VARIABLE).isNotBlank();
        return password;
    }

    /**
     * Job options that reach the broker over SASL_SSL with {@code truststore}, taking the SCRAM password as
     * {@code passwordReference} (a config provider's placeholder) and the truststore's password from the file.
     */
    private static Configuration options(String suffix, Path truststore, String passwordReference) {
        Map<String, String> client = new HashMap<>();
        client.put("security.protocol", "SASL_SSL");
        client.put("sasl.mechanism", "SCRAM-SHA-256");
        client.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
                + USER + "\" password=\"" + passwordReference + "\";");
        client.put("ssl.truststore.location", truststore.toString());
        client.put("ssl.truststore.type", "PKCS12");
        client.put("ssl.truststore.password", "${file:" + secrets + ":truststore-password}");
        client.put("config.providers", "file,env");
        client.put("config.providers.file.class", "org.apache.kafka.common.config.provider.FileConfigProvider");
        client.put("config.providers.env.class", "org.apache.kafka.common.config.provider.EnvVarConfigProvider");
        Configuration options = ItOptions.of(kafka, suffix);
        client.forEach((key, value) -> options.setString(JobOptions.KAFKA_PROPERTIES_PREFIX + key, value));
        return options;
    }

    private static void check(Configuration options) {
        JobConfig config = JobConfig.from(options);
        KafkaCheck.check(config.sources().client(), config.kafkaRequirements());
    }

    @Test
    void classifiesOverSaslSslWithThePasswordFromAFile() throws Exception {
        Configuration options = options("tls", certificates.trustStore(), "${file:" + secrets + ":password}");
        ItOptions.createTopics(kafka, options);
        check(options);
        SampleEvents samples = new SampleEvents(8);
        List<byte[]> chats = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            chats.add(samples.avro(samples.chat("c-" + i)));
        }
        KafkaClients.produce(kafka.adminProperties(), options.get(JobOptions.CHATS_TOPIC), chats);

        try (LogCapture logs = LogCapture.everythingAtInfo()) {
            ItOptions.runBounded(options, "sasl-ssl-it");
            assertThat(logs.lines()).as("log lines at INFO and above").isNotEmpty()
                    .noneMatch(line -> line.contains(password()));
        }

        List<String> ids = Stream.of("moderation-tls", "review-tls")
                .flatMap(topic -> KafkaClients.readClassified(kafka.adminProperties(), topic).stream())
                .map(ClassifiedEvent::getSourceId).toList();
        assertThat(ids).hasSize(12).doesNotHaveDuplicates();
    }

    @Test
    void thePasswordMayComeFromAnEnvironmentVariable() throws Exception {
        Configuration options = options("tls-env", certificates.trustStore(), "${env:" + PASSWORD_VARIABLE + "}");
        ItOptions.createTopics(kafka, options);

        check(options);
    }

    @Test
    void aTruststoreWithoutTheBrokersCaFailsAtStartUpSayingWhatToFix() throws Exception {
        TestCertificates other = TestCertificates.create(DIRECTORY, "other");
        Configuration options = options("tls-wrong", other.trustStore(), "${file:" + secrets + ":password}");
        options.setString(JobOptions.KAFKA_PROPERTIES_PREFIX + "ssl.truststore.password", other.password());
        options.setString(JobOptions.KAFKA_PROPERTIES_PREFIX + "default.api.timeout.ms", "5000");
        options.setString(JobOptions.KAFKA_PROPERTIES_PREFIX + "request.timeout.ms", "3000");

        assertThatThrownBy(() -> check(options))
                .hasMessageContaining("the TLS handshake with Kafka at " + kafka.bootstrapServers() + " failed")
                .hasMessageContaining("kafka.properties.ssl.truststore.location")
                .hasMessageContaining("the CA that signed the brokers' certificates");
    }
}
