package dev.streamclassifier.job.decode;

import java.util.Locale;

/** How an input topic's values are encoded. */
public enum InputFormat {
    /** Avro single-object when the value starts with {@code C3 01}, else JSON. */
    AUTO,
    /** Avro single-object encoding only. */
    AVRO,
    /** One JSON object per record, field names as in the Avro schema. */
    JSON;

    public static InputFormat parse(String value) {
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Unknown input format '" + value + "': use auto, avro or json", e);
        }
    }
}
