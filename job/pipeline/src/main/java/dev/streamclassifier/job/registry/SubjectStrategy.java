package dev.streamclassifier.job.registry;

import org.apache.avro.Schema;

import java.util.Locale;

/**
 * The registry subject an output schema is registered under, named as the Confluent serializers name theirs, so that
 * consumers and compatibility rules set up for those find ours.
 */
public enum SubjectStrategy {
    /** {@code <topic>-value}: one schema per topic, the registry's default. */
    TOPIC,
    /** The record's full name, {@code dev.streamclassifier.schemas.ClassifiedEvent}: one subject across topics. */
    RECORD,
    /** {@code <topic>-<record full name>}: several record types in one topic. */
    TOPIC_RECORD;

    public String subject(String topic, Schema schema) {
        return switch (this) {
            case TOPIC -> topic + "-value";
            case RECORD -> schema.getFullName();
            case TOPIC_RECORD -> topic + "-" + schema.getFullName();
        };
    }

    public static SubjectStrategy parse(String value) {
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Unknown subject strategy '" + value
                    + "': use topic, record or topic-record", e);
        }
    }
}
