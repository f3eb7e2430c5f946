package dev.streamclassifier.job.registry;

import java.nio.ByteBuffer;

/**
 * The registry wire format every Confluent-compatible serializer writes: byte 0, the schema's id as a 4-byte
 * big-endian integer, then the Avro binary record.
 */
public final class RegistryFraming {
    public static final byte MAGIC = 0;
    public static final int HEADER_BYTES = 5;

    private RegistryFraming() {}

    public static boolean isFramed(byte[] value) {
        return value != null && value.length >= HEADER_BYTES && value[0] == MAGIC;
    }

    public static int schemaId(byte[] value) {
        return ByteBuffer.wrap(value, 1, 4).getInt();
    }

    /** Writes the header for {@code schemaId} into the first five bytes of {@code target}. */
    public static void writeHeader(int schemaId, byte[] target) {
        target[0] = MAGIC;
        ByteBuffer.wrap(target, 1, 4).putInt(schemaId);
    }
}
