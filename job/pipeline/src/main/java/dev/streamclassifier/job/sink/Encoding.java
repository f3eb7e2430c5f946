package dev.streamclassifier.job.sink;

import dev.streamclassifier.job.registry.RegistrySettings;
import dev.streamclassifier.job.registry.SchemaRegistry;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;

import java.io.Serializable;

/**
 * How the job encodes its output records; serializable, so it travels with the job graph.
 *
 * @param registry the schema registry, for {@link OutputFormat#REGISTRY_AVRO}
 */
public record Encoding(OutputFormat format, RegistrySettings registry) implements Serializable {
    public Encoding(OutputFormat format) {
        this(format, RegistrySettings.NONE);
    }

    /** A new encoder for records of {@code schema}, for one operator instance. */
    public <T extends SpecificRecord> RecordEncoder<T> encoder(Schema schema) {
        return switch (format) {
            case AVRO -> RecordEncoder.avro(schema);
            case JSON -> RecordEncoder.json();
            case REGISTRY_AVRO -> RecordEncoder.registry(schema, new SchemaRegistry(registry), registry.subjects());
        };
    }

    /** Whether one record's bytes may differ by topic (registry subjects are named after topics). */
    public boolean dependsOnTopic() {
        return format == OutputFormat.REGISTRY_AVRO;
    }
}
