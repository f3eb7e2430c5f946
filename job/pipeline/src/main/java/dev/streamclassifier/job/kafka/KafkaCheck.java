package dev.streamclassifier.job.kafka;

import org.apache.flink.util.TimeUtils;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.SslAuthenticationException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;

/**
 * Checks the Kafka cluster before the job is submitted: that it can be reached with the configured security settings,
 * that every input and output topic exists, that the output topics take records as large as the job may write, and
 * that the brokers allow the sink's transaction timeout. A job that would fail on its first record or first commit
 * fails here instead, saying what to fix.
 */
public final class KafkaCheck {
    private static final long TIMEOUT_SECONDS = 30;

    private KafkaCheck() {}

    /** @throws IllegalArgumentException naming each problem */
    public static void check(KafkaClientSettings client, KafkaRequirements required) {
        Properties properties = client.toProperties();
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, client.bootstrapServers());
        properties.putIfAbsent(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                Long.toString(TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS)));
        List<String> problems = new ArrayList<>();
        try (Admin admin = Admin.create(properties)) {
            Collection<Node> nodes = admin.describeCluster().nodes().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            Set<String> existing = admin.listTopics().names().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            Set<String> topics = new TreeSet<>(required.inputTopics());
            topics.addAll(required.outputTopics());
            List<String> missing = topics.stream().filter(topic -> !existing.contains(topic)).toList();
            if (!missing.isEmpty()) {
                problems.add("topics " + missing + " do not exist on " + client.bootstrapServers()
                        + ": create them (kafka-topics.sh --create --topic NAME) or point topic.* at existing ones");
            }
            List<String> ordered = required.singlePartitionTopics().stream().filter(existing::contains).toList();
            if (!ordered.isEmpty()) {
                admin.describeTopics(ordered).allTopicNames().get(TIMEOUT_SECONDS, TimeUnit.SECONDS)
                        .forEach((topic, description) -> {
                            if (description.partitions().size() != 1) {
                                problems.add("topic " + topic + " has " + description.partitions().size()
                                        + " partitions: model updates apply in the order of their offsets, which "
                                        + "only one partition gives; recreate it with --partitions 1");
                            }
                        });
            }
            List<String> present = required.outputTopics().stream().filter(existing::contains).sorted().toList();
            checkRecordSize(admin, present, required.maxRecordBytes(), problems);
            Duration transactionTimeout = required.transactionTimeout();
            if (transactionTimeout != null && !nodes.isEmpty()) {
                Duration brokerMax = transactionMaxTimeout(admin, nodes.iterator().next());
                if (brokerMax != null && transactionTimeout.compareTo(brokerMax) > 0) {
                    problems.add("sink.transaction-timeout (" + TimeUtils.formatWithHighestUnit(transactionTimeout)
                            + ") is above the brokers' "
                            + "transaction.max.timeout.ms (" + TimeUtils.formatWithHighestUnit(brokerMax)
                            + "): lower it, or raise the broker setting");
                }
            }
        } catch (ExecutionException e) {
            problems.add(cannotTalk(client, e.getCause()));
        } catch (TimeoutException e) {
            problems.add("Kafka at " + client.bootstrapServers() + " did not answer within " + TIMEOUT_SECONDS
                    + " s: check kafka.bootstrap-servers, the network, and kafka.properties.security.protocol");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            problems.add("interrupted while checking Kafka");
        } catch (KafkaException e) {
            // A client cannot even be made: a setting is wrong or a file it names cannot be read.
            problems.add("the Kafka client settings do not work: " + rootMessage(e)
                    + " (check kafka.bootstrap-servers and kafka.properties.*)");
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("Kafka is not ready for this job:\n  - "
                    + String.join("\n  - ", problems));
        }
    }

    /** What went wrong talking to Kafka, and what to check: TLS failures get their own advice. */
    private static String cannotTalk(KafkaClientSettings client, Throwable failure) {
        Throwable tls = failure;
        while (tls != null && !(tls instanceof SslAuthenticationException) && !(tls instanceof SSLException)) {
            tls = tls.getCause();
        }
        if (tls == null) {
            return "cannot talk to Kafka at " + client.bootstrapServers() + ": " + failure.getMessage()
                    + " (check kafka.bootstrap-servers and the kafka.properties.* security settings)";
        }
        return "the TLS handshake with Kafka at " + client.bootstrapServers() + " failed: " + rootMessage(tls)
                + ". Check that kafka.properties.ssl.truststore.location (or ssl.truststore.certificates) holds the "
                + "CA that signed the brokers' certificates, and that the bootstrap host names match those "
                + "certificates";
    }

    private static String rootMessage(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage();
    }

    /** Each output topic must take the largest record the job writes, framing included. */
    private static void checkRecordSize(Admin admin, List<String> topics, int maxRecordBytes, List<String> problems)
            throws ExecutionException, InterruptedException, TimeoutException {
        if (topics.isEmpty()) {
            return;
        }
        List<ConfigResource> resources = topics.stream()
                .map(topic -> new ConfigResource(ConfigResource.Type.TOPIC, topic)).toList();
        Map<ConfigResource, Config> configs = admin.describeConfigs(resources).all()
                .get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        for (ConfigResource resource : resources) {
            Config config = configs.get(resource);
            ConfigEntry entry = config == null ? null : config.get("max.message.bytes");
            if (entry == null || entry.value() == null) {
                continue;
            }
            long topicMax = Long.parseLong(entry.value());
            if (maxRecordBytes + KafkaRequirements.RECORD_OVERHEAD_BYTES > topicMax) {
                problems.add("topic " + resource.name() + " takes records up to " + topicMax + " bytes "
                        + "(max.message.bytes), but the job may write " + maxRecordBytes + " bytes plus "
                        + KafkaRequirements.RECORD_OVERHEAD_BYTES + " of framing: lower sink.max-record-bytes to "
                        + (topicMax - KafkaRequirements.RECORD_OVERHEAD_BYTES) + " or raise the topic's "
                        + "max.message.bytes");
            }
        }
    }

    private static Duration transactionMaxTimeout(Admin admin, Node broker)
            throws ExecutionException, InterruptedException, TimeoutException {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.BROKER, broker.idString());
        Config config = admin.describeConfigs(List.of(resource)).all().get(TIMEOUT_SECONDS, TimeUnit.SECONDS)
                .get(resource);
        ConfigEntry entry = config == null ? null : config.get("transaction.max.timeout.ms");
        return entry == null || entry.value() == null ? null : Duration.ofMillis(Long.parseLong(entry.value()));
    }
}
