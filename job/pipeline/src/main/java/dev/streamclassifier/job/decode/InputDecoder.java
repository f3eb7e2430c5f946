package dev.streamclassifier.job.decode;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.streamclassifier.job.event.EventKind;
import dev.streamclassifier.job.event.RawRecord;
import dev.streamclassifier.job.event.TextEvent;
import dev.streamclassifier.schemas.ChatMessage;
import dev.streamclassifier.schemas.Email;
import dev.streamclassifier.schemas.SingleObjectCodec;
import dev.streamclassifier.schemas.Ticket;
import org.apache.avro.AvroRuntimeException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;

/**
 * Decodes the value of an email, ticket or chat record, Avro single-object or JSON, into a {@link TextEvent}. Every
 * failure is a {@link DecodeException} whose message says what was wrong with the record.
 *
 * <p>Not thread-safe (Avro decoders reuse buffers): one instance per operator instance.
 */
public final class InputDecoder {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<EventKind, InputFormat> formats;
    private final SingleObjectCodec<Email> emails = SingleObjectCodec.of(Email.getClassSchema());
    private final SingleObjectCodec<Ticket> tickets = SingleObjectCodec.of(Ticket.getClassSchema());
    private final SingleObjectCodec<ChatMessage> chats = SingleObjectCodec.of(ChatMessage.getClassSchema());

    public InputDecoder(Map<EventKind, InputFormat> formats) {
        this.formats = Map.copyOf(formats);
    }

    public TextEvent decode(RawRecord record) throws DecodeException {
        byte[] value = record.value;
        if (value == null) {
            throw new DecodeException("DECODE", "record has no value (null or tombstone)");
        }
        if (value.length == 0) {
            throw new DecodeException("DECODE", "record value is empty (0 bytes)");
        }
        InputFormat format = formats.getOrDefault(record.kind, InputFormat.AUTO);
        boolean avro = SingleObjectCodec.isSingleObject(value);
        if (format == InputFormat.AVRO && !avro) {
            throw new DecodeException("DECODE", "topic is configured for Avro but the value does not start with the "
                    + "single-object marker C3 01");
        }
        TextEvent event = avro && format != InputFormat.JSON ? decodeAvro(record) : decodeJson(record);
        if (event.id == null || event.id.isBlank()) {
            throw new DecodeException("VALIDATION", "'id' is empty");
        }
        if (event.text == null || event.text.isBlank()) {
            throw new DecodeException("VALIDATION", "there is no text to classify (empty or whitespace only)");
        }
        return event;
    }

    private TextEvent decodeAvro(RawRecord record) throws DecodeException {
        try {
            return switch (record.kind) {
                case EMAIL -> fromEmail(emails.decode(record.value), record);
                case TICKET -> fromTicket(tickets.decode(record.value), record);
                case CHAT -> fromChat(chats.decode(record.value), record);
            };
        } catch (IOException | AvroRuntimeException | IndexOutOfBoundsException | NegativeArraySizeException e) {
            // Avro reports unknown fingerprints and truncated or corrupt data through several exception types.
            throw new DecodeException("DECODE", "not a valid Avro " + record.kind + ": " + describe(e), e);
        }
    }

    private TextEvent decodeJson(RawRecord record) throws DecodeException {
        JsonNode node;
        try {
            String text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(record.value))
                    .toString();
            node = JSON.readTree(text);
        } catch (CharacterCodingException e) {
            throw new DecodeException("DECODE", "value is neither Avro single-object nor valid UTF-8 JSON", e);
        } catch (JsonProcessingException e) {
            throw new DecodeException("DECODE", "value is neither Avro single-object (C3 01 header) nor valid JSON: "
                    + e.getOriginalMessage(), e);
        }
        if (node == null || !node.isObject()) {
            throw new DecodeException("DECODE", "JSON value must be an object, was " + (node == null ? "empty" : node.getNodeType()));
        }
        JsonFields fields = new JsonFields(node);
        return switch (record.kind) {
            case EMAIL -> new TextEvent(EventKind.EMAIL, fields.required("id"),
                    join(fields.optional("subject"), fields.required("body")),
                    fields.time("receivedAt", record.timestamp), record);
            case TICKET -> new TextEvent(EventKind.TICKET, fields.required("id"),
                    join(fields.optional("subject"), fields.required("description")),
                    fields.time("createdAt", record.timestamp), record);
            case CHAT -> new TextEvent(EventKind.CHAT, fields.required("id"), fields.required("text"),
                    fields.time("sentAt", record.timestamp), record);
        };
    }

    private static TextEvent fromEmail(Email email, RawRecord record) {
        return new TextEvent(EventKind.EMAIL, email.getId(), join(email.getSubject(), email.getBody()),
                email.getReceivedAt().toEpochMilli(), record);
    }

    private static TextEvent fromTicket(Ticket ticket, RawRecord record) {
        return new TextEvent(EventKind.TICKET, ticket.getId(), join(ticket.getSubject(), ticket.getDescription()),
                ticket.getCreatedAt().toEpochMilli(), record);
    }

    private static TextEvent fromChat(ChatMessage chat, RawRecord record) {
        return new TextEvent(EventKind.CHAT, chat.getId(), chat.getText(), chat.getSentAt().toEpochMilli(), record);
    }

    /** The text a model sees: the subject as the first line when there is one. */
    public static String join(String subject, String body) {
        if (subject == null || subject.isBlank()) {
            return body;
        }
        if (body == null || body.isBlank()) {
            return subject;
        }
        return subject + "\n" + body;
    }

    /** The exception and its root cause: Avro wraps the telling part ("length exceeds ...") in a generic message. */
    private static String describe(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String text = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        if (root != e) {
            text += " (" + root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage())
                    + ")";
        }
        return text;
    }

    /** Typed access to a JSON object's fields, with messages that name the field. */
    private static final class JsonFields {
        private final JsonNode node;

        JsonFields(JsonNode node) {
            this.node = node;
        }

        String required(String name) throws DecodeException {
            JsonNode value = node.get(name);
            if (value == null || value.isNull()) {
                throw new DecodeException("VALIDATION", "JSON field '" + name + "' is missing");
            }
            if (!value.isTextual()) {
                throw new DecodeException("VALIDATION", "JSON field '" + name + "' must be a string, was "
                        + value.getNodeType());
            }
            return value.asText();
        }

        String optional(String name) throws DecodeException {
            JsonNode value = node.get(name);
            if (value == null || value.isNull()) {
                return "";
            }
            if (!value.isTextual()) {
                throw new DecodeException("VALIDATION", "JSON field '" + name + "' must be a string, was "
                        + value.getNodeType());
            }
            return value.asText();
        }

        /** Epoch milliseconds or an ISO-8601 instant; the Kafka record's timestamp when absent. */
        long time(String name, long fallback) throws DecodeException {
            JsonNode value = node.get(name);
            if (value == null || value.isNull()) {
                return fallback;
            }
            if (value.isIntegralNumber()) {
                return value.asLong();
            }
            if (value.isTextual()) {
                try {
                    return Instant.parse(value.asText()).toEpochMilli();
                } catch (DateTimeParseException e) {
                    throw new DecodeException("VALIDATION", "JSON field '" + name
                            + "' must be epoch milliseconds or an ISO-8601 instant, was '" + value.asText() + "'");
                }
            }
            throw new DecodeException("VALIDATION", "JSON field '" + name + "' must be a number or string, was "
                    + value.getNodeType());
        }
    }
}
