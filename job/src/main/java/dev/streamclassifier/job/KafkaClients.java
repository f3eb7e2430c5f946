package dev.streamclassifier.job;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.util.Properties;

/**
 * The plain Kafka clients the demo and the benchmark use around the job: a byte-array producer for the inputs and a
 * {@code read_committed} consumer that sees the output as a downstream user would.
 */
public final class KafkaClients {
    private KafkaClients() {}

    /**
     * The producer's {@code linger.ms}. The bench and the demo run the broker in this process, on the job's cores. With
     * 2 ms, at a steady trickle (the bench's latency run, ~250 events/s) every event was a produce request of its own;
     * 10 ms should put 2-3 in each, and everything outside the classify threads then took 0.30-0.35 cores instead of
     * 0.38-0.44 (AVX2 host; README, Latency). Events are stamped before send(), so the linger counts in the measured
     * latency.
     */
    public static final int LINGER_MS = 10;

    public static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
        return producer(bootstrap, LINGER_MS);
    }

    /** A byte-array producer that waits up to {@code lingerMs} to fill a request. */
    public static KafkaProducer<byte[], byte[]> producer(String bootstrap, int lingerMs) {
        Properties properties = new Properties();
        properties.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        properties.put(ProducerConfig.LINGER_MS_CONFIG, Integer.toString(lingerMs));
        properties.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        properties.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return new KafkaProducer<>(properties);
    }

    public static KafkaConsumer<byte[], byte[]> readCommittedConsumer(String bootstrap) {
        return consumer(bootstrap, "read_committed");
    }

    /** A byte-array consumer; {@code read_uncommitted} also sees records of open transactions (progress, not truth). */
    public static KafkaConsumer<byte[], byte[]> consumer(String bootstrap, String isolationLevel) {
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        properties.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolationLevel);
        properties.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        properties.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return new KafkaConsumer<>(properties);
    }
}
