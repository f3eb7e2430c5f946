package dev.streamclassifier.job.sink;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericEnumSymbol;
import org.apache.avro.generic.IndexedRecord;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Base64;
import java.util.Collection;
import java.util.Map;

/**
 * Avro records as plain JSON objects, for consumers that read JSON: field names as in the schema, optional fields as
 * their value or {@code null} (not Avro's {@code {"string": ...}} wrapping), times as ISO-8601, bytes in base64.
 */
public final class JsonRecords {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private JsonRecords() {}

    public static byte[] encode(IndexedRecord record) {
        try {
            return JSON.writeValueAsBytes(toJson(record));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Cannot write " + record.getSchema().getName() + " as JSON", e);
        }
    }

    static ObjectNode toJson(IndexedRecord record) {
        ObjectNode object = NODES.objectNode();
        for (Schema.Field field : record.getSchema().getFields()) {
            object.set(field.name(), value(record.get(field.pos()), field.schema()));
        }
        return object;
    }

    private static JsonNode value(Object value, Schema schema) {
        if (value == null) {
            return NODES.nullNode();
        }
        switch (schema.getType()) {
            case UNION -> {
                for (Schema branch : schema.getTypes()) {
                    if (branch.getType() != Schema.Type.NULL) {
                        return value(value, branch);
                    }
                }
                return NODES.nullNode();
            }
            case RECORD -> {
                return toJson((IndexedRecord) value);
            }
            case MAP -> {
                ObjectNode map = NODES.objectNode();
                ((Map<?, ?>) value).forEach((key, item) -> map.set(String.valueOf(key),
                        value(item, schema.getValueType())));
                return map;
            }
            case ARRAY -> {
                ArrayNode array = NODES.arrayNode();
                ((Collection<?>) value).forEach(item -> array.add(value(item, schema.getElementType())));
                return array;
            }
            case BYTES, FIXED -> {
                ByteBuffer buffer = ((ByteBuffer) value).duplicate();
                byte[] bytes = new byte[buffer.remaining()];
                buffer.get(bytes);
                return NODES.textNode(Base64.getEncoder().encodeToString(bytes));
            }
            case INT -> {
                return NODES.numberNode((Integer) value);
            }
            case LONG -> {
                return value instanceof Instant instant ? NODES.textNode(instant.toString())
                        : NODES.numberNode((Long) value);
            }
            case FLOAT -> {
                return NODES.numberNode((Float) value);
            }
            case DOUBLE -> {
                return NODES.numberNode((Double) value);
            }
            case BOOLEAN -> {
                return NODES.booleanNode((Boolean) value);
            }
            case ENUM -> {
                return NODES.textNode(value instanceof GenericEnumSymbol<?> symbol ? symbol.toString()
                        : ((Enum<?>) value).name());
            }
            default -> {
                return NODES.textNode(value.toString());
            }
        }
    }
}
