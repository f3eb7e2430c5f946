package dev.streamclassifier.testkit;

import dev.streamclassifier.schemas.ClassifiedEvent;
import dev.streamclassifier.schemas.DeadLetter;
import dev.streamclassifier.schemas.SingleObjectCodec;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.stream.Collectors;

/**
 * The plain Kafka clients around the job: producers of its input, and {@code read_committed} read-backs of its output
 * that decode it as a downstream user would.
 */
public final class KafkaClients {
    /**
     * The {@code linger.ms} of the demo's and the bench's input producer. The broker runs in the same process, on the
     * job's cores: with a shorter linger a steady trickle of events is a produce request per event, work taken from
     * the job. Events are stamped before they are sent, so the linger counts in measured latency.
     */
    public static final int LINGER_MS = 10;

    private KafkaClients() {}

    /** Client settings that reach {@code bootstrap} over plain text. */
    public static Map<String, Object> client(String bootstrap) {
        return Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    }

    public static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
        return producer(client(bootstrap), LINGER_MS);
    }

    /** A byte-array producer that waits up to {@code lingerMs} to fill a request. */
    public static KafkaProducer<byte[], byte[]> producer(Map<String, Object> client, int lingerMs) {
        Properties properties = new Properties();
        properties.putAll(client);
        properties.put(ProducerConfig.LINGER_MS_CONFIG, Integer.toString(lingerMs));
        properties.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        properties.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return new KafkaProducer<>(properties);
    }

    /**
     * Sends every value (without key) and waits until each is acknowledged by all in-sync replicas.
     *
     * @throws IllegalStateException when a record could not be sent
     */
    public static void produce(Map<String, Object> client, String topic, List<byte[]> values) {
        produce(client, values.stream().map(value -> new ProducerRecord<byte[], byte[]>(topic, value)).toList());
    }

    /**
     * Sends every record in order and waits until each is acknowledged by all in-sync replicas; records of one key
     * keep their order in their partition.
     *
     * @throws IllegalStateException when a record could not be sent
     */
    public static void produce(Map<String, Object> client, List<ProducerRecord<byte[], byte[]>> records) {
        Map<String, Object> settings = new HashMap<>(client);
        settings.put(ProducerConfig.ACKS_CONFIG, "all");
        // Seen with the in-process broker: an idempotent producer stuck on OutOfOrderSequence until its records
        // expired. Test input needs no idempotence: the read-back checks for duplicates. Without it, one request in
        // flight at a time is what keeps each key's order.
        settings.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "false");
        settings.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1");
        try (KafkaProducer<byte[], byte[]> producer = producer(settings, 0)) {
            List<Future<?>> sent = new ArrayList<>(records.size());
            for (ProducerRecord<byte[], byte[]> record : records) {
                sent.add(producer.send(record));
            }
            producer.flush();
            for (Future<?> future : sent) {
                future.get();
            }
        } catch (ExecutionException e) {
            throw new IllegalStateException("Could not produce: " + e.getCause(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while producing", e);
        }
    }

    public static void produce(String bootstrap, String topic, List<byte[]> values) {
        produce(client(bootstrap), topic, values);
    }

    /** Every value in {@code topic} that a {@code read_committed} consumer sees now. */
    public static List<byte[]> readCommitted(Map<String, Object> client, String topic) {
        try (TopicReader reader = TopicReader.fromBeginning(client, List.of(topic), true)) {
            return reader.readToEnd(Duration.ofSeconds(60)).stream().map(ConsumerRecord::value).toList();
        }
    }

    public static List<byte[]> readCommitted(String bootstrap, String topic) {
        return readCommitted(client(bootstrap), topic);
    }

    /** The labelled events in {@code topic}, decoded, as a {@code read_committed} consumer sees them. */
    public static List<ClassifiedEvent> readClassified(String bootstrap, String topic) {
        return readClassified(client(bootstrap), topic);
    }

    /** As {@link #readClassified(String, String)}, with the client settings given (security, say). */
    public static List<ClassifiedEvent> readClassified(Map<String, Object> client, String topic) {
        return decodeAll(readCommitted(client, topic), SingleObjectCodec.of(ClassifiedEvent.getClassSchema()), topic);
    }

    /** The dead letters in {@code topic}, decoded, as a {@code read_committed} consumer sees them. */
    public static List<DeadLetter> readDeadLetters(String bootstrap, String topic) {
        return decodeAll(readCommitted(bootstrap, topic), SingleObjectCodec.of(DeadLetter.getClassSchema()), topic);
    }

    /** How often each source id occurs among the events. */
    public static Map<String, Long> countById(List<ClassifiedEvent> events) {
        return events.stream().collect(Collectors.groupingBy(ClassifiedEvent::getSourceId, Collectors.counting()));
    }

    private static <T extends SpecificRecord> List<T> decodeAll(List<byte[]> values, SingleObjectCodec<T> codec,
            String topic) {
        List<T> decoded = new ArrayList<>(values.size());
        for (byte[] value : values) {
            try {
                decoded.add(codec.decode(value));
            } catch (IOException e) {
                throw new UncheckedIOException("A record in " + topic + " is not what the job writes there", e);
            }
        }
        return decoded;
    }
}
