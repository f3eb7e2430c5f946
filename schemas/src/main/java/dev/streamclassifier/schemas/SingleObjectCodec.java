package dev.streamclassifier.schemas;

import org.apache.avro.Schema;
import org.apache.avro.SystemLimitException;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;

/**
 * Avro single-object encoding (a {@code C3 01} marker, the writer schema's 8-byte fingerprint, then the binary
 * record) for one record class. Decoding resolves any writer schema in {@link SchemaHistory} to the current one.
 *
 * <p>Not thread-safe: the underlying encoder and decoder reuse buffers. Create one per thread (per operator instance).
 */
public final class SingleObjectCodec<T extends SpecificRecord> {
    /** The first two bytes of every single-object encoded message. */
    public static final byte MARKER_0 = (byte) 0xC3;
    public static final byte MARKER_1 = (byte) 0x01;
    /** Longest string or bytes field Avro may allocate for: a Kafka record cannot be larger by default anyway. */
    public static final int MAX_FIELD_BYTES = 2 * 1024 * 1024;
    /** Most items of an Avro array or map (an email's recipients, say). */
    public static final int MAX_COLLECTION_ITEMS = 10_000;

    static {
        // Without these, a hostile length prefix makes Avro allocate up to 2 GB before it notices the data is short.
        // Avro reads them once, when it first checks a length, so they are set before the first codec decodes
        // anything; an explicit -D setting wins.
        setIfAbsent(SystemLimitException.MAX_STRING_LENGTH_PROPERTY, MAX_FIELD_BYTES);
        setIfAbsent(SystemLimitException.MAX_BYTES_LENGTH_PROPERTY, MAX_FIELD_BYTES);
        setIfAbsent(SystemLimitException.MAX_COLLECTION_LENGTH_PROPERTY, MAX_COLLECTION_ITEMS);
    }

    private final BinaryMessageEncoder<T> encoder;
    private final BinaryMessageDecoder<T> decoder;

    public SingleObjectCodec(Schema schema) {
        SpecificData model = SpecificData.getForSchema(schema);
        this.encoder = new BinaryMessageEncoder<>(model, schema);
        this.decoder = new BinaryMessageDecoder<>(model, schema, SchemaHistory.store());
    }

    private static void setIfAbsent(String property, int value) {
        if (System.getProperty(property) == null) {
            System.setProperty(property, Integer.toString(value));
        }
    }

    public static <T extends SpecificRecord> SingleObjectCodec<T> of(Schema schema) {
        return new SingleObjectCodec<>(schema);
    }

    /** True when the bytes start with the single-object marker. */
    public static boolean isSingleObject(byte[] bytes) {
        return bytes != null && bytes.length >= 2 && bytes[0] == MARKER_0 && bytes[1] == MARKER_1;
    }

    public byte[] encode(T record) {
        try {
            ByteBuffer buffer = encoder.encode(record);
            byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            return bytes;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot encode " + record.getSchema().getName(), e);
        }
    }

    /**
     * Decodes one message.
     *
     * @throws IOException when the bytes are not single-object encoded, carry an unknown schema fingerprint, or are
     *     truncated or corrupt; the message says which
     */
    public T decode(byte[] bytes) throws IOException {
        return decoder.decode(bytes);
    }
}
