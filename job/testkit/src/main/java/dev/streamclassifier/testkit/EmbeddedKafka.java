package dev.streamclassifier.testkit;

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
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * A real Kafka cluster (KRaft) running inside this JVM on localhost ports, from the {@code kafka-test-common-runtime}
 * artifact: for the demo, the bench and the integration tests, with no Docker. One node by default, broker and
 * controller in one.
 */
public final class EmbeddedKafka implements AutoCloseable {
    /** Brokers allow transactions this long; the sinks' timeout must stay under it. */
    public static final long TRANSACTION_MAX_TIMEOUT_MS = 15 * 60 * 1000L;

    /**
     * The administrator the test kit creates on a SASL listener; this class's own clients (topic creation, users)
     * authenticate as it with PLAIN.
     */
    public static final String SASL_ADMIN = "plain-admin";
    public static final String SASL_ADMIN_PASSWORD = "plain-admin-secret";

    private final KafkaClusterTestKit cluster;
    private final Map<String, Object> adminProperties;
    private final int brokers;

    private EmbeddedKafka(KafkaClusterTestKit cluster, Map<String, Object> adminProperties, int brokers) {
        this.cluster = cluster;
        this.adminProperties = adminProperties;
        this.brokers = brokers;
    }

    /** A one-node cluster with a plain-text listener and its logs in a temporary directory. */
    public static EmbeddedKafka start() throws Exception {
        return builder().start();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** How to start a cluster: brokers, the client listener's security protocol, broker settings. */
    public static final class Builder {
        private int brokers = 1;
        private SecurityProtocol protocol = SecurityProtocol.PLAINTEXT;
        private Path baseDirectory;
        private final Map<String, String> brokerConfig = new HashMap<>();
        private final Map<String, Object> adminClientConfig = new HashMap<>();

        private Builder() {}

        /** Brokers (each beside the one controller); internal topics are replicated over up to three of them. */
        public Builder brokers(int count) {
            this.brokers = count;
            return this;
        }

        /** The security protocol of the listener clients use, e.g. SASL_PLAINTEXT (the kit adds its JAAS logins). */
        public Builder securityProtocol(SecurityProtocol protocol) {
            this.protocol = protocol;
            return this;
        }

        /** Where the logs go (null: a temporary directory). */
        public Builder baseDirectory(Path directory) {
            this.baseDirectory = directory;
            return this;
        }

        /** A broker setting, e.g. {@code sasl.enabled.mechanisms}. */
        public Builder brokerConfig(String key, String value) {
            brokerConfig.put(key, value);
            return this;
        }

        /**
         * Settings of this class's own clients (topics, users) on top of the ones it derives: for a listener whose
         * protocol the test kit does not know, such as SASL_SSL with its truststore.
         */
        public Builder adminClientConfig(Map<String, ?> settings) {
            adminClientConfig.putAll(settings);
            return this;
        }

        /** Formats and starts the cluster and waits for its brokers; closes what it started if that fails. */
        public EmbeddedKafka start() throws Exception {
            TestKitNodes.Builder nodes = new TestKitNodes.Builder()
                    .setCombined(brokers == 1)
                    .setNumBrokerNodes(brokers)
                    .setNumControllerNodes(1)
                    .setBrokerSecurityProtocol(protocol);
            if (baseDirectory != null) {
                nodes.setBaseDirectory(baseDirectory);
            }
            String replication = Integer.toString(Math.min(3, brokers));
            KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(nodes.build())
                    .setConfigProp("offsets.topic.replication.factor", replication)
                    .setConfigProp("offsets.topic.num.partitions", "1")
                    .setConfigProp("transaction.state.log.replication.factor", replication)
                    .setConfigProp("transaction.state.log.min.isr", Integer.toString(Math.min(2, brokers)))
                    // With several brokers, an acknowledged write survives the loss of one of them.
                    .setConfigProp("min.insync.replicas", Integer.toString(Math.min(2, brokers)))
                    .setConfigProp("transaction.state.log.num.partitions", "4")
                    .setConfigProp("transaction.max.timeout.ms", Long.toString(TRANSACTION_MAX_TIMEOUT_MS))
                    .setConfigProp("group.initial.rebalance.delay.ms", "0")
                    .setConfigProp("auto.create.topics.enable", "false")
                    .setConfigProp("log.flush.interval.messages", Long.toString(Long.MAX_VALUE))
                    // Rates over 2 s instead of 11 s, so a client quota bites within a short run.
                    .setConfigProp("quota.window.num", "2")
                    .setConfigProp("quota.window.size.seconds", "1");
            brokerConfig.forEach(builder::setConfigProp);
            KafkaClusterTestKit cluster = builder.build();
            try {
                cluster.format();
                cluster.startup();
                cluster.waitForReadyBrokers();
                Map<String, Object> admin = new HashMap<>();
                admin.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
                if (protocol == SecurityProtocol.SASL_PLAINTEXT) {
                    admin.putAll(saslClientProperties("PLAIN",
                            "org.apache.kafka.common.security.plain.PlainLoginModule", SASL_ADMIN,
                            SASL_ADMIN_PASSWORD));
                }
                admin.putAll(adminClientConfig);
                return new EmbeddedKafka(cluster, admin, brokers);
            } catch (Exception e) {
                try {
                    cluster.close();
                } catch (Exception closeFailure) {
                    e.addSuppressed(closeFailure);
                }
                throw e;
            }
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

    /** Creates (or replaces) a SCRAM-SHA-256 user; the listener must have SCRAM-SHA-256 enabled. */
    public void createScramUser(String user, String password) throws Exception {
        try (Admin admin = Admin.create(adminProperties)) {
            admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(user,
                    new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 4096), password)))
                    .all().get(60, TimeUnit.SECONDS);
        }
    }

    /** Creates the topics, each replicated over up to three brokers. */
    public void createTopics(Collection<String> topics, int partitions) throws Exception {
        try (Admin admin = Admin.create(adminProperties)) {
            List<NewTopic> newTopics = topics.stream().distinct()
                    .map(topic -> new NewTopic(topic, partitions, (short) Math.min(3, brokers))).toList();
            admin.createTopics(newTopics).all().get(60, TimeUnit.SECONDS);
        }
    }

    /**
     * Stops each broker and starts it again on the same port and log directories, one after the other, as a rolling
     * restart would: clients see their connections drop and, on one broker, the partitions go away for a while.
     */
    public void restartBrokers() throws Exception {
        for (int id : brokerIds()) {
            stopBroker(id);
            startBroker(id);
        }
    }

    /** The brokers' ids (the controller's is not among them unless it is combined with a broker). */
    public Set<Integer> brokerIds() {
        return new TreeSet<>(cluster.brokers().keySet());
    }

    /** Stops one broker, as a crash would: leadership of its partitions moves to other in-sync replicas. */
    public void stopBroker(int id) {
        var broker = cluster.brokers().get(id);
        broker.shutdown();
        broker.awaitShutdown();
    }

    /** Starts a stopped broker again, on its former port and log directories, and waits until it is ready. */
    public void startBroker(int id) throws Exception {
        cluster.brokers().get(id).startup();
        cluster.waitForReadyBrokers();
    }

    /** The id of the broker that leads {@code topic}'s {@code partition} now. */
    public int leader(String topic, int partition) throws Exception {
        try (Admin admin = Admin.create(adminProperties)) {
            return admin.describeTopics(List.of(topic)).allTopicNames().get(60, TimeUnit.SECONDS).get(topic)
                    .partitions().get(partition).leader().id();
        }
    }

    @Override
    public void close() throws Exception {
        cluster.close();
    }
}
