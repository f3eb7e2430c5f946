package dev.streamclassifier.job;

import dev.streamclassifier.testkit.EmbeddedKafka;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real in-process Kafka broker for the tests of one class: started before the first test, closed after the last.
 * {@code @RegisterExtension static final KafkaExtension KAFKA = new KafkaExtension();}
 */
final class KafkaExtension implements BeforeAllCallback, AfterAllCallback {
    private final boolean sasl;
    private EmbeddedKafka kafka;

    KafkaExtension() {
        this(false);
    }

    private KafkaExtension(boolean sasl) {
        this.sasl = sasl;
    }

    /**
     * A broker whose client listener requires SASL: PLAIN for the test kit's administrator, SCRAM-SHA-256 for users
     * a test creates.
     */
    static KafkaExtension withSasl() {
        return new KafkaExtension(true);
    }

    /** The Flink mini-cluster the integration tests share the shape of: one TaskManager with two slots. */
    static MiniClusterExtension flinkMiniCluster() {
        return new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
                .setNumberTaskManagers(1)
                .setNumberSlotsPerTaskManager(2)
                .build());
    }

    EmbeddedKafka kafka() {
        return kafka;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        kafka = sasl
                ? EmbeddedKafka.builder()
                        .securityProtocol(SecurityProtocol.SASL_PLAINTEXT)
                        .brokerConfig("sasl.enabled.mechanisms", "PLAIN,SCRAM-SHA-256")
                        // The test kit turns on an authorizer; let any authenticated user in, as a cluster without
                        // ACLs would.
                        .brokerConfig("allow.everyone.if.no.acl.found", "true")
                        .start()
                : EmbeddedKafka.start();
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        if (kafka != null) {
            kafka.close();
        }
    }
}
