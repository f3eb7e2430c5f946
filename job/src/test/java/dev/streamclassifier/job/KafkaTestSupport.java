package dev.streamclassifier.job;

import dev.streamclassifier.schemas.ClassifiedEvent;
import dev.streamclassifier.schemas.DeadLetter;
import dev.streamclassifier.schemas.SingleObjectCodec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;

/** Producing inputs to and reading outputs back from the embedded broker, as the tests' oracle does. */
final class KafkaTestSupport {
    private KafkaTestSupport() {}

    static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
        return producer(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
    }

    /** A producer with the given client settings (bootstrap servers, security). */
    static KafkaProducer<byte[], byte[]> producer(Map<String, Object> client) {
        Properties properties = new Properties();
        properties.putAll(client);
        properties.put(ProducerConfig.ACKS_CONFIG, "all");
        // Seen once with the in-process broker: a second idempotent producer stuck on OutOfOrderSequence for a fresh
        // topic until its records expired. Test input needs no idempotence: the read-back checks for duplicates.
        properties.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "false");
        properties.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        properties.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return new KafkaProducer<>(properties);
    }

    /** Sends every value and waits until each one is acknowledged; a record that could not be sent fails the test. */
    static void produce(String bootstrap, String topic, List<byte[]> values) {
        try (KafkaProducer<byte[], byte[]> producer = producer(bootstrap)) {
            List<java.util.concurrent.Future<?>> sent = new ArrayList<>(values.size());
            for (byte[] value : values) {
                sent.add(producer.send(new ProducerRecord<>(topic, value)));
            }
            producer.flush();
            for (java.util.concurrent.Future<?> future : sent) {
                future.get();
            }
        } catch (java.util.concurrent.ExecutionException e) {
            throw new AssertionError("Could not produce test input to " + topic + ": " + e.getCause(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("Interrupted while producing test input", e);
        }
    }

    /**
     * Every value in {@code topic} that a {@code read_committed} consumer sees: aborted transactions are invisible,
     * so this is what downstream users get.
     */
    static List<byte[]> readCommitted(String bootstrap, String topic) {
        return readCommitted(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap), topic);
    }

    static List<byte[]> readCommitted(Map<String, Object> client, String topic) {
        Properties properties = new Properties();
        properties.putAll(client);
        properties.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        properties.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        properties.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        List<byte[]> values = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(properties)) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(info -> new TopicPartition(topic, info.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("Could not read " + topic + " to its end offsets " + end);
                }
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    values.add(record.value());
                }
            }
        }
        return values;
    }

    static List<ClassifiedEvent> readClassified(String bootstrap, String topic) throws Exception {
        SingleObjectCodec<ClassifiedEvent> codec = SingleObjectCodec.of(ClassifiedEvent.getClassSchema());
        List<ClassifiedEvent> events = new ArrayList<>();
        for (byte[] value : readCommitted(bootstrap, topic)) {
            events.add(codec.decode(value));
        }
        return events;
    }

    static List<DeadLetter> readDeadLetters(String bootstrap, String topic) throws Exception {
        SingleObjectCodec<DeadLetter> codec = SingleObjectCodec.of(DeadLetter.getClassSchema());
        List<DeadLetter> letters = new ArrayList<>();
        for (byte[] value : readCommitted(bootstrap, topic)) {
            letters.add(codec.decode(value));
        }
        return letters;
    }

    /** How often each source id occurs among the events. */
    static Map<String, Long> countById(List<ClassifiedEvent> events) {
        return events.stream().collect(Collectors.groupingBy(ClassifiedEvent::getSourceId, Collectors.counting()));
    }
}
