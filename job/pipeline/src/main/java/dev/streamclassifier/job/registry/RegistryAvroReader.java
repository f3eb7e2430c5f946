package dev.streamclassifier.job.registry;

import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads registry-framed Avro records as one of our record classes: the writer schema comes from the registry by the
 * id in the frame, and Avro's schema resolution reads it as ours (fields added, removed or reordered with defaults, as
 * the registry's compatibility rules allow). Not thread-safe: one per operator instance.
 */
public final class RegistryAvroReader<T extends SpecificRecord> {
    private final SchemaRegistry registry;
    private final Schema readerSchema;
    private final Map<Integer, SpecificDatumReader<T>> readers = new HashMap<>();
    private BinaryDecoder decoder;

    public RegistryAvroReader(SchemaRegistry registry, Schema readerSchema) {
        this.registry = registry;
        this.readerSchema = readerSchema;
    }

    /**
     * @throws SchemaRegistry.UnknownSchemaException if the registry has no schema with the record's id
     * @throws IOException or an {@link org.apache.avro.AvroRuntimeException} if the bytes do not hold a record of the
     *     writer schema, or it cannot be read as ours
     */
    public T read(byte[] value) throws SchemaRegistry.UnknownSchemaException, IOException {
        int id = RegistryFraming.schemaId(value);
        SpecificDatumReader<T> reader = readers.get(id);
        if (reader == null) {
            Schema writer = registry.schemaById(id);
            reader = new SpecificDatumReader<>(writer, readerSchema);
            readers.put(id, reader);
        }
        decoder = DecoderFactory.get().binaryDecoder(value, RegistryFraming.HEADER_BYTES,
                value.length - RegistryFraming.HEADER_BYTES, decoder);
        T record = reader.read(null, decoder);
        if (!decoder.isEnd()) {
            throw new IOException((value.length - RegistryFraming.HEADER_BYTES) + " bytes hold more than one record "
                    + "of schema id " + id);
        }
        return record;
    }
}
