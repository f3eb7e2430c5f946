package dev.streamclassifier.job;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.util.Locale;
import java.util.Properties;

/**
 * Kafka sources and sinks of the job: one source per input topic (raw bytes, decoded later so that bad records become
 * dead letters) and one {@link KafkaSink} for all output topics, whose transactions span them.
 */
public final class KafkaConnectors implements ClassifierJob.Sources, ClassifierJob.Sinks {
    private final ClassifierOptions options;
    private final boolean bounded;

    /** @param bounded read each input up to the offsets that are latest at start, then finish (tests, benchmarks) */
    public KafkaConnectors(ClassifierOptions options, boolean bounded) {
        this.options = options;
        this.bounded = bounded;
    }

    @Override
    public DataStream<RawRecord> read(StreamExecutionEnvironment env, EventKind kind) {
        String topic = options.inputTopics().get(kind);
        KafkaSourceBuilder<RawRecord> builder = KafkaSource.<RawRecord>builder()
                .setBootstrapServers(options.bootstrapServers())
                .setTopics(topic)
                .setGroupId(options.get(ClassifierOptions.GROUP_ID))
                .setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
                .setDeserializer(new RawRecordDeserializer(kind))
                .setProperties(options.kafkaProperties())
                .setProperty("isolation.level", "read_committed");
        // Kafka's default answers a fetch as soon as one byte is there: under a steady trickle that is a request per
        // few records, CPU taken from the classifier. Waiting up to 20 ms for fuller fetches cut the bench's p50
        // latency at 70% load from 716 to 166 ms, and 10 ms (with a 5 ms network buffer timeout) halved the p50 again
        // once inference had a thread of its own; 5 ms did worse in one run (README, Performance).
        // A user's kafka.properties.* still wins.
        Properties user = options.kafkaProperties();
        builder.setProperty("fetch.min.bytes", user.getProperty("fetch.min.bytes", "65536"));
        builder.setProperty("fetch.max.wait.ms", user.getProperty("fetch.max.wait.ms", "10"));
        if (bounded) {
            builder.setBounded(OffsetsInitializer.latest());
        }
        return env.fromSource(builder.build(), WatermarkStrategy.noWatermarks(), "read " + topic)
                .uid("source-" + kind.name().toLowerCase(Locale.ROOT));
    }

    @Override
    public Sink<OutboundRecord> sink() {
        DeliveryGuarantee guarantee = options.deliveryGuarantee();
        Properties producer = options.kafkaProperties();
        producer.setProperty("transaction.timeout.ms",
                Long.toString(options.get(ClassifierOptions.TRANSACTION_TIMEOUT).toMillis()));
        if (guarantee == DeliveryGuarantee.EXACTLY_ONCE) {
            // Nothing is visible before the checkpoint commits, so fuller batches cost no latency here; with Kafka's
            // 5 ms the sink sent ~10x more produce requests, CPU the classifier could use (see README, Performance).
            producer.putIfAbsent("linger.ms", "50");
        }
        return KafkaSink.<OutboundRecord>builder()
                .setBootstrapServers(options.bootstrapServers())
                .setKafkaProducerConfig(producer)
                .setRecordSerializer(new OutboundRecordSerializer())
                .setDeliveryGuarantee(guarantee)
                .setTransactionalIdPrefix(options.get(ClassifierOptions.TRANSACTIONAL_ID_PREFIX))
                .build();
    }

    /** Keeps every record as raw bytes with its coordinates; decoding errors are handled downstream. */
    static final class RawRecordDeserializer implements KafkaRecordDeserializationSchema<RawRecord> {
        private static final long serialVersionUID = 1L;
        private final EventKind kind;

        RawRecordDeserializer(EventKind kind) {
            this.kind = kind;
        }

        @Override
        public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<RawRecord> out) {
            out.collect(new RawRecord(kind, record.topic(), record.partition(), record.offset(), record.timestamp(),
                    record.key(), record.value()));
        }

        @Override
        public TypeInformation<RawRecord> getProducedType() {
            return TypeInformation.of(RawRecord.class);
        }
    }

    /** Writes the already encoded record to the topic it names. */
    static final class OutboundRecordSerializer implements KafkaRecordSerializationSchema<OutboundRecord> {
        private static final long serialVersionUID = 1L;

        @Override
        public ProducerRecord<byte[], byte[]> serialize(OutboundRecord record, KafkaSinkContext context,
                Long timestamp) {
            return new ProducerRecord<>(record.topic, null, timestamp, record.key, record.value);
        }
    }
}
