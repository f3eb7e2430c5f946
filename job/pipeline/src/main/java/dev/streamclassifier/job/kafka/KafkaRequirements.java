package dev.streamclassifier.job.kafka;

import java.time.Duration;
import java.util.Set;

/**
 * What the job needs of the Kafka cluster, for {@link KafkaCheck}.
 *
 * @param inputTopics topics it reads
 * @param outputTopics topics it writes; each must accept a record of {@code maxRecordBytes} plus Kafka's framing
 * @param transactionTimeout the sink's transaction timeout, which the brokers must allow; null without transactions
 * @param maxRecordBytes the largest output record the job writes, key and value together
 * @param singlePartitionTopics input topics whose records apply in offset order (model updates): one partition each
 */
public record KafkaRequirements(Set<String> inputTopics, Set<String> outputTopics, Duration transactionTimeout,
        int maxRecordBytes, Set<String> singlePartitionTopics) {
    /**
     * What Kafka adds to a record's key and value on the wire and in a log (a one-record batch's header, the record's
     * own length and attributes, headers), rounded up: a producer's {@code max.request.size} and a topic's
     * {@code max.message.bytes} count it too.
     */
    public static final int RECORD_OVERHEAD_BYTES = 1024;

    public KafkaRequirements {
        inputTopics = Set.copyOf(inputTopics);
        outputTopics = Set.copyOf(outputTopics);
        singlePartitionTopics = Set.copyOf(singlePartitionTopics);
    }
}
