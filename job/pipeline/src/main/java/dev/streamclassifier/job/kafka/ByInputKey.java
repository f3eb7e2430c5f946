package dev.streamclassifier.job.kafka;

import dev.streamclassifier.job.event.RawRecord;
import org.apache.flink.api.java.functions.KeySelector;

import java.util.Arrays;
import java.util.Objects;

/**
 * Sends every record with the same Kafka key to the same classifier, so that the events of one conversation or one
 * customer keep their order from input to output. Records without a key, which Kafka itself spreads, are spread by
 * their position in the topic.
 */
public final class ByInputKey implements KeySelector<RawRecord, Integer> {
    private static final long serialVersionUID = 1L;

    @Override
    public Integer getKey(RawRecord record) {
        return record.key != null ? Arrays.hashCode(record.key)
                : Objects.hash(record.topic, record.partition, record.offset);
    }
}
