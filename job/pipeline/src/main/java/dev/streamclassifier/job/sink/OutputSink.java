package dev.streamclassifier.job.sink;

import dev.streamclassifier.job.event.OutboundRecord;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.util.Properties;

/**
 * The job's one Kafka sink for every output topic: each record names its own topic, so one transaction per checkpoint
 * spans them all and an input's labels and its dead letters commit together.
 */
public final class OutputSink {
    private OutputSink() {}

    public static KafkaSink<OutboundRecord> create(SinkSettings settings) {
        Properties producer = settings.client().toProperties();
        producer.setProperty("transaction.timeout.ms", Long.toString(settings.transactionTimeout().toMillis()));
        if (settings.guarantee() == DeliveryGuarantee.EXACTLY_ONCE) {
            // Nothing is visible before the checkpoint commits, so fuller produce requests cost no latency here, and
            // Kafka's 5 ms default would send many more requests for the same records.
            producer.putIfAbsent("linger.ms", "50");
        }
        return KafkaSink.<OutboundRecord>builder()
                .setBootstrapServers(settings.client().bootstrapServers())
                .setKafkaProducerConfig(producer)
                .setRecordSerializer(new OutboundRecordSerializer())
                .setDeliveryGuarantee(settings.guarantee())
                .setTransactionalIdPrefix(settings.transactionalIdPrefix())
                .build();
    }

    /** Writes the already encoded record to the topic it names, with the timestamp of the input it came from. */
    static final class OutboundRecordSerializer implements KafkaRecordSerializationSchema<OutboundRecord> {
        private static final long serialVersionUID = 1L;

        @Override
        public ProducerRecord<byte[], byte[]> serialize(OutboundRecord record, KafkaSinkContext context,
                Long timestamp) {
            ProducerRecord<byte[], byte[]> produced = new ProducerRecord<>(record.topic, null, timestamp, record.key,
                    record.value);
            for (int i = 0; i < record.headerNames.length; i++) {
                produced.headers().add(record.headerNames[i], record.headerValues[i]);
            }
            return produced;
        }
    }
}
