package dev.streamclassifier.job;

import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
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

    /** A broker whose client listener requires SASL (see {@link EmbeddedKafka#startWithSasl()}). */
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
        kafka = sasl ? EmbeddedKafka.startWithSasl() : EmbeddedKafka.start(null);
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        if (kafka != null) {
            kafka.close();
        }
    }
}
