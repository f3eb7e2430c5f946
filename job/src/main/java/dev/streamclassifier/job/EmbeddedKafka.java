package dev.streamclassifier.job;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real single-node Kafka (KRaft, broker and controller in one) running inside this JVM on a localhost port, from
 * the {@code kafka-test-common-runtime} artifact. For the demo, the benchmark and the integration tests: no Docker.
 */
public final class EmbeddedKafka implements AutoCloseable {
    /** Brokers allow transactions this long; the sinks' timeout must stay under it. */
    public static final long TRANSACTION_MAX_TIMEOUT_MS = 15 * 60 * 1000L;

    /** The administrator the SASL variant creates; clients of the test harness authenticate as it with PLAIN. */
    public static final String SASL_ADMIN = "plain-admin";
    public static final String SASL_ADMIN_PASSWORD = "plain-admin-secret";

    private final KafkaClusterTestKit cluster;
    private final Map<String, Object> adminProperties;

    private EmbeddedKafka(KafkaClusterTestKit cluster, Map<String, Object> adminProperties) {
        this.cluster = cluster;
        this.adminProperties = adminProperties;
    }

    /** Formats and starts a one-node cluster with its logs under {@code baseDirectory} (null: a temp directory). */
    public static EmbeddedKafka start(Path baseDirectory) throws Exception {
        return start(baseDirectory, SecurityProtocol.PLAINTEXT, Map.of());
    }

    /**
     * A one-node cluster whose client listener requires SASL: PLAIN for the {@link #SASL_ADMIN} the harness uses, and
     * SCRAM-SHA-256 for users created with {@link #createScramUser}.
     */
    public static EmbeddedKafka startWithSasl() throws Exception {
        return start(null, SecurityProtocol.SASL_PLAINTEXT, Map.of(
                "sasl.enabled.mechanisms", "PLAIN,SCRAM-SHA-256",
                // The test kit turns on an authorizer; let any authenticated user in, as a cluster without ACLs would.
                "allow.everyone.if.no.acl.found", "true"));
    }

    private static EmbeddedKafka start(Path baseDirectory, SecurityProtocol protocol, Map<String, String> extra)
            throws Exception {
        TestKitNodes.Builder nodes = new TestKitNodes.Builder()
                .setCombined(true)
                .setNumBrokerNodes(1)
                .setNumControllerNodes(1)
                .setBrokerSecurityProtocol(protocol);
        if (baseDirectory != null) {
            nodes.setBaseDirectory(baseDirectory);
        }
        KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(nodes.build());
        extra.forEach(builder::setConfigProp);
        KafkaClusterTestKit cluster = builder
                .setConfigProp("offsets.topic.replication.factor", "1")
                .setConfigProp("offsets.topic.num.partitions", "1")
                .setConfigProp("transaction.state.log.replication.factor", "1")
                .setConfigProp("transaction.state.log.min.isr", "1")
                .setConfigProp("transaction.state.log.num.partitions", "4")
                .setConfigProp("transaction.max.timeout.ms", Long.toString(TRANSACTION_MAX_TIMEOUT_MS))
                .setConfigProp("group.initial.rebalance.delay.ms", "0")
                .setConfigProp("auto.create.topics.enable", "false")
                .setConfigProp("log.flush.interval.messages", Long.toString(Long.MAX_VALUE))
                // Rates over 2 s instead of 11 s, so a client quota bites within a short test run.
                .setConfigProp("quota.window.num", "2")
                .setConfigProp("quota.window.size.seconds", "1")
                .build();
        try {
            cluster.format();
            cluster.startup();
            cluster.waitForReadyBrokers();
            Map<String, Object> admin = new HashMap<>();
            admin.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
            if (protocol == SecurityProtocol.SASL_PLAINTEXT) {
                admin.putAll(saslClientProperties("PLAIN", "org.apache.kafka.common.security.plain.PlainLoginModule",
                        SASL_ADMIN, SASL_ADMIN_PASSWORD));
            }
            return new EmbeddedKafka(cluster, admin);
        } catch (Exception e) {
            try {
                cluster.close();
            } catch (Exception closeFailure) {
                e.addSuppressed(closeFailure);
            }
            throw e;
        }
    }

    public String bootstrapServers() {
        return cluster.bootstrapServers();
    }

    /** Client settings for SASL over plain text with the given mechanism and login module. */
    public static Map<String, String> saslClientProperties(String mechanism, String loginModule, String user,
            String password) {
        return Map.of("security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", mechanism,
                "sasl.jaas.config", loginModule + " required username=\"" + user + "\" password=\"" + password + "\";");
    }

    /** What a client needs to reach this cluster as its administrator (bootstrap servers, and SASL if enabled). */
    public Map<String, Object> adminProperties() {
        return Map.copyOf(adminProperties);
    }

    /** Creates (or replaces) a SCRAM-SHA-256 user; only on a cluster started with {@link #startWithSasl}. */
    public void createScramUser(String user, String password) throws Exception {
        try (Admin admin = Admin.create(adminProperties)) {
            admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(user,
                    new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 4096), password)))
                    .all().get(60, TimeUnit.SECONDS);
        }
    }

    public void createTopics(Collection<String> topics, int partitions) throws Exception {
        try (Admin admin = Admin.create(adminProperties)) {
            List<NewTopic> newTopics = topics.stream().distinct()
                    .map(topic -> new NewTopic(topic, partitions, (short) 1)).toList();
            admin.createTopics(newTopics).all().get(60, TimeUnit.SECONDS);
        }
    }

    /**
     * Stops the broker and starts it again on the same port and log directories, as a rolling restart of a one-node
     * cluster would: clients see their connections drop and the partitions go away for a while.
     */
    public void restartBroker() throws Exception {
        for (var broker : cluster.brokers().values()) {
            broker.shutdown();
            broker.awaitShutdown();
            broker.startup();
        }
        cluster.waitForReadyBrokers();
    }

    @Override
    public void close() throws Exception {
        cluster.close();
    }
}
