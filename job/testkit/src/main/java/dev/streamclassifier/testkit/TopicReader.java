package dev.streamclassifier.testkit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListTransactionsOptions;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Reads every partition of some topics without a consumer group, as a downstream user of the job's output would:
 * {@code read_committed} sees only what committed transactions wrote (the exactly-once oracle); {@code
 * read_uncommitted} also sees open and aborted transactions (progress, not truth).
 */
public final class TopicReader implements AutoCloseable {
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Map<String, Object> client;
    private final boolean readCommitted;

    private TopicReader(Map<String, Object> client, Collection<String> topics, boolean readCommitted) {
        this.client = client;
        this.readCommitted = readCommitted;
        Properties properties = new Properties();
        properties.putAll(client);
        properties.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, readCommitted ? "read_committed" : "read_uncommitted");
        properties.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        properties.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        consumer = new KafkaConsumer<>(properties);
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : topics) {
            consumer.partitionsFor(topic).forEach(info -> partitions.add(new TopicPartition(topic, info.partition())));
        }
        consumer.assign(partitions);
    }

    /**
     * @param client bootstrap servers and any security settings
     * @param readCommitted {@code read_committed} or {@code read_uncommitted}
     */
    public static TopicReader fromBeginning(Map<String, Object> client, Collection<String> topics,
            boolean readCommitted) {
        TopicReader reader = new TopicReader(client, topics, readCommitted);
        reader.consumer.seekToBeginning(reader.consumer.assignment());
        return reader;
    }

    /** A reader that sees only what is written from now on. */
    public static TopicReader fromEnd(Map<String, Object> client, Collection<String> topics, boolean readCommitted) {
        TopicReader reader = new TopicReader(client, topics, readCommitted);
        reader.skipToEnd();
        return reader;
    }

    public ConsumerRecords<byte[], byte[]> poll(Duration timeout) {
        return consumer.poll(timeout);
    }

    /** Skips what was written so far. */
    public void skipToEnd() {
        consumer.seekToEnd(consumer.assignment());
        // seekToEnd is lazy: resolve the positions now, or records written before the next poll would be skipped too.
        consumer.assignment().forEach(consumer::position);
    }

    /**
     * Every record up to the end offsets as of this call ({@code read_committed}: the last stable offsets).
     *
     * @throws IllegalStateException when the end is not reached within {@code timeout}
     */
    public List<ConsumerRecord<byte[], byte[]>> readToEnd(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        if (readCommitted) {
            awaitCommitMarkers(deadline);
        }
        Map<TopicPartition, Long> end = consumer.endOffsets(consumer.assignment());
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        while (end.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Could not read to the end offsets " + end + " within " + timeout);
            }
            consumer.poll(Duration.ofMillis(200)).forEach(records::add);
        }
        return records;
    }

    /**
     * A commit returns once the transaction coordinator has logged the decision; the markers that make the records
     * visible reach the partitions after that. A reader that takes the end offsets in between, right after a job
     * finished, would stop short of committed records: so it first waits until no transaction is between its decision
     * and its markers. Open transactions (a cancelled job's) do not hold it up. Without the right to list
     * transactions it reads what is visible.
     */
    private void awaitCommitMarkers(long deadline) {
        ListTransactionsOptions deciding = new ListTransactionsOptions()
                .filterStates(List.of(TransactionState.PREPARE_COMMIT, TransactionState.PREPARE_ABORT));
        try (Admin admin = Admin.create(client)) {
            while (!admin.listTransactions(deciding).all().get(30, TimeUnit.SECONDS).isEmpty()) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("Transactions still writing their commit markers at the deadline");
                }
                Thread.sleep(50);
            }
        } catch (ExecutionException | TimeoutException e) {
            // Not allowed to list transactions, or no answer: the end offsets as they stand.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for commit markers", e);
        }
    }

    @Override
    public void close() {
        consumer.close();
    }
}
