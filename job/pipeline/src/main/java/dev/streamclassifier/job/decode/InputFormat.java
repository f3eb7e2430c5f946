package dev.streamclassifier.job.decode;

import java.util.Locale;

/** How an input topic's values are encoded. */
public enum InputFormat {
    /**
     * Avro single-object when the value starts with {@code C3 01}; registry-framed Avro when it starts with byte 0 and
     * a registry is configured; else JSON.
     */
    AUTO,
    /** Avro single-object encoding only. */
    AVRO,
    /** One JSON object per record, read through the kind's field mapping. */
    JSON,
    /** Avro framed for a schema registry: byte 0, the writer schema's 4-byte id, then the record. */
    REGISTRY_AVRO;

    public static InputFormat parse(String value) {
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Unknown input format '" + value
                    + "': use auto, avro, json or registry-avro", e);
        }
    }
}
