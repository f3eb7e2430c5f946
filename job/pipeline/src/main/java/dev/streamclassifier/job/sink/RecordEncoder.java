package dev.streamclassifier.job.sink;

import dev.streamclassifier.job.registry.RegistryFraming;
import dev.streamclassifier.job.registry.SchemaRegistry;
import dev.streamclassifier.job.registry.SubjectStrategy;
import dev.streamclassifier.schemas.SingleObjectCodec;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Encodes one kind of output record for the topic it goes to. Not thread-safe: one per operator instance, made in
 * {@code open()}.
 */
@FunctionalInterface
public interface RecordEncoder<T extends SpecificRecord> {
    byte[] encode(T record, String topic);

    /** Avro single-object encoding. */
    static <T extends SpecificRecord> RecordEncoder<T> avro(org.apache.avro.Schema schema) {
        SingleObjectCodec<T> codec = SingleObjectCodec.of(schema);
        return (record, topic) -> codec.encode(record);
    }

    /** Registry-framed Avro: the schema's id under the topic's subject (registered on first use), then the record. */
    static <T extends SpecificRecord> RecordEncoder<T> registry(org.apache.avro.Schema schema, SchemaRegistry registry,
            SubjectStrategy subjects) {
        SpecificDatumWriter<T> writer = new SpecificDatumWriter<>(schema);
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        BinaryEncoder[] reused = new BinaryEncoder[1];
        return (record, topic) -> {
            int id = registry.idFor(subjects.subject(topic, schema), schema);
            buffer.reset();
            buffer.write(new byte[RegistryFraming.HEADER_BYTES], 0, RegistryFraming.HEADER_BYTES);
            reused[0] = EncoderFactory.get().directBinaryEncoder(buffer, reused[0]);
            try {
                writer.write(record, reused[0]);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot encode " + schema.getFullName(), e);
            }
            byte[] bytes = buffer.toByteArray();
            RegistryFraming.writeHeader(id, bytes);
            return bytes;
        };
    }

    /** One JSON object per record. */
    static <T extends SpecificRecord> RecordEncoder<T> json() {
        return (record, topic) -> JsonRecords.encode(record);
    }
}
