package dev.streamclassifier.job.kafka;

import java.io.Serializable;
import java.util.Map;
import java.util.Properties;

/**
 * How every Kafka client of the job reaches the cluster.
 *
 * @param bootstrapServers e.g. {@code broker-1:9092,broker-2:9092}
 * @param properties client settings passed through as given (security, say), the {@code kafka.properties.} prefix
 *     removed
 */
public record KafkaClientSettings(String bootstrapServers, Map<String, String> properties) implements Serializable {
    public KafkaClientSettings {
        properties = Map.copyOf(properties);
    }

    /** The pass-through properties, as a fresh {@link Properties} the caller may add to. */
    public Properties toProperties() {
        Properties copy = new Properties();
        copy.putAll(properties);
        return copy;
    }
}
