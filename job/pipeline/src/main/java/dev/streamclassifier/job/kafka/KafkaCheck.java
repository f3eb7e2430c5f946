package dev.streamclassifier.job.kafka;

import org.apache.flink.util.TimeUtils;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.config.ConfigResource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Checks the Kafka cluster before the job is submitted: that it can be reached with the configured security settings,
 * that every input and output topic exists, and that the brokers allow the sinks' transaction timeout. A job that
 * would fail on its first record or first commit fails here instead, saying what to fix.
 */
public final class KafkaCheck {
    private static final long TIMEOUT_SECONDS = 30;

    private KafkaCheck() {}

    /**
     * @param topics every topic the job reads or writes
     * @param transactionTimeout the sink's, checked against the brokers' maximum when {@code transactional}
     * @throws IllegalArgumentException naming each problem
     */
    public static void check(KafkaClientSettings client, Collection<String> topics, boolean transactional,
            Duration transactionTimeout) {
        Properties properties = client.toProperties();
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, client.bootstrapServers());
        properties.putIfAbsent(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                Long.toString(TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS)));
        List<String> problems = new ArrayList<>();
        try (Admin admin = Admin.create(properties)) {
            Collection<Node> nodes = admin.describeCluster().nodes().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            Set<String> existing = admin.listTopics().names().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            List<String> missing = topics.stream().filter(topic -> !existing.contains(topic)).toList();
            if (!missing.isEmpty()) {
                problems.add("topics " + missing + " do not exist on " + client.bootstrapServers()
                        + ": create them (kafka-topics.sh --create --topic NAME) or point topic.* at existing ones");
            }
            if (transactional && !nodes.isEmpty()) {
                Duration brokerMax = transactionMaxTimeout(admin, nodes.iterator().next());
                if (brokerMax != null && transactionTimeout.compareTo(brokerMax) > 0) {
                    problems.add("sink.transaction-timeout (" + TimeUtils.formatWithHighestUnit(transactionTimeout)
                            + ") is above the brokers' "
                            + "transaction.max.timeout.ms (" + TimeUtils.formatWithHighestUnit(brokerMax)
                            + "): lower it, or raise the broker setting");
                }
            }
        } catch (ExecutionException e) {
            problems.add("cannot talk to Kafka at " + client.bootstrapServers() + ": " + e.getCause().getMessage()
                    + " (check kafka.bootstrap-servers and the kafka.properties.* security settings)");
        } catch (TimeoutException e) {
            problems.add("Kafka at " + client.bootstrapServers() + " did not answer within " + TIMEOUT_SECONDS
                    + " s: check kafka.bootstrap-servers, the network, and kafka.properties.security.protocol");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            problems.add("interrupted while checking Kafka");
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("Kafka is not ready for this job:\n  - "
                    + String.join("\n  - ", problems));
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
