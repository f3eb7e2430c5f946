package dev.streamclassifier.job.sink;

import java.util.Locale;

/** How output records (labelled events and dead letters) are encoded. */
public enum OutputFormat {
    /** Avro single-object encoding: a 2-byte marker and the writer schema's fingerprint, then the record. */
    AVRO,
    /** One JSON object per record: field names as in the Avro schemas, times in ISO-8601, bytes in base64. */
    JSON,
    /** Avro framed for a schema registry: byte 0, the schema's 4-byte registry id, then the record. */
    REGISTRY_AVRO;

    public static OutputFormat parse(String value) {
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Unknown output format '" + value
                    + "': use avro, json or registry-avro", e);
        }
    }
}
