package dev.streamclassifier.job.kafka;

import dev.streamclassifier.job.event.EventKind;
import dev.streamclassifier.job.event.RawRecord;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.common.header.Header;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;

/**
 * The job's Kafka sources: one per input topic, keeping every record as raw bytes with its coordinates, so that a
 * record the job cannot decode becomes a dead letter downstream instead of failing the source.
 */
public final class KafkaSources {
    private final SourceSettings settings;

    public KafkaSources(SourceSettings settings) {
        this.settings = settings;
    }

    /** The source of {@code kind}'s topic, as a stream with a stable uid (savepoints depend on it). */
    public DataStream<RawRecord> read(StreamExecutionEnvironment env, EventKind kind) {
        return read(env, kind, builder(kind));
    }

    /** A stream from {@code builder}, named and given a uid as {@link #read(StreamExecutionEnvironment, EventKind)}. */
    public DataStream<RawRecord> read(StreamExecutionEnvironment env, EventKind kind,
            KafkaSourceBuilder<RawRecord> builder) {
        return env.fromSource(builder.build(), WatermarkStrategy.noWatermarks(), "read " + settings.topics().get(kind))
                .uid("source-" + kind.name().toLowerCase(Locale.ROOT));
    }

    /**
     * The source of {@code kind}'s topic, configured but not built: to change what the job's settings do not cover,
     * such as where a new consumer group starts or a bounded read.
     */
    public KafkaSourceBuilder<RawRecord> builder(EventKind kind) {
        Properties user = settings.client().toProperties();
        KafkaSourceBuilder<RawRecord> builder = KafkaSource.<RawRecord>builder()
                .setBootstrapServers(settings.client().bootstrapServers())
                .setTopics(settings.topics().get(kind))
                .setGroupId(settings.groupId())
                .setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
                .setDeserializer(new RawRecordDeserializer(kind, settings.headers()))
                .setProperties(user)
                .setProperty("isolation.level", "read_committed");
        // Kafka's default answers a fetch as soon as one byte is there: under a steady trickle that is a request per
        // few records, CPU taken from the classifier. Waiting up to 10 ms for up to 64 KiB makes fewer, fuller
        // fetches for little latency. A user's kafka.properties.* still wins.
        builder.setProperty("fetch.min.bytes", user.getProperty("fetch.min.bytes", "65536"));
        builder.setProperty("fetch.max.wait.ms", user.getProperty("fetch.max.wait.ms", "10"));
        return builder;
    }

    /**
     * The control topic of model updates, read from its start on every fresh start (the last update of each model
     * wins) and from the checkpoint after a restore. One reader: the topic has one partition, and its records go to
     * every classify instance.
     */
    public DataStream<RawRecord> readModelUpdates(StreamExecutionEnvironment env, String topic,
            OffsetsInitializer stoppingOffsets) {
        KafkaSourceBuilder<RawRecord> builder = KafkaSource.<RawRecord>builder()
                .setBootstrapServers(settings.client().bootstrapServers())
                .setTopics(topic)
                .setGroupId(settings.groupId() + "-model-updates")
                .setStartingOffsets(OffsetsInitializer.earliest())
                .setDeserializer(new RawRecordDeserializer(null, List.of()))
                .setProperties(settings.client().toProperties())
                .setProperty("isolation.level", "read_committed");
        if (stoppingOffsets != null) {
            builder.setBounded(stoppingOffsets);
        }
        return env.fromSource(builder.build(), WatermarkStrategy.noWatermarks(), "read " + topic)
                .uid("source-model-updates").setParallelism(1);
    }

    /**
     * Keeps every record as raw bytes with its coordinates, and the headers the job carries through; decoding errors
     * are handled downstream.
     */
    static final class RawRecordDeserializer implements KafkaRecordDeserializationSchema<RawRecord> {
        private static final long serialVersionUID = 1L;
        private final EventKind kind;
        private final List<String> headers;

        RawRecordDeserializer(EventKind kind, List<String> headers) {
            this.kind = kind;
            this.headers = List.copyOf(headers);
        }

        @Override
        public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<RawRecord> out) {
            RawRecord raw = new RawRecord(kind, record.topic(), record.partition(), record.offset(),
                    record.timestamp(), record.key(), record.value());
            // No kind: the control topic's model updates.
            raw.control = kind == null;
            if (!headers.isEmpty()) {
                List<String> names = new ArrayList<>();
                List<byte[]> values = new ArrayList<>();
                for (String name : headers) {
                    Header header = record.headers().lastHeader(name);
                    if (header != null) {
                        names.add(name);
                        values.add(header.value());
                    }
                }
                raw.headerNames = names.toArray(String[]::new);
                raw.headerValues = values.toArray(byte[][]::new);
            }
            out.collect(raw);
        }

        @Override
        public TypeInformation<RawRecord> getProducedType() {
            return TypeInformation.of(RawRecord.class);
        }
    }
}
