package dev.streamclassifier.job.sink;

import dev.streamclassifier.job.kafka.KafkaClientSettings;
import org.apache.flink.connector.base.DeliveryGuarantee;

import java.io.Serializable;
import java.time.Duration;

/**
 * How the job writes its outputs.
 *
 * @param transactionalIdPrefix stable across restarts and unique per job on the cluster (exactly-once only)
 * @param transactionTimeout the producers' {@code transaction.timeout.ms}
 * @param maxRecordBytes the most an output record may take; larger ones are dropped in front of the sink
 */
public record SinkSettings(KafkaClientSettings client, DeliveryGuarantee guarantee, String transactionalIdPrefix,
        Duration transactionTimeout, int maxRecordBytes) implements Serializable {}
