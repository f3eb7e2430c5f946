package dev.streamclassifier.job.decode;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.streamclassifier.job.event.EventKind;
import dev.streamclassifier.job.event.RawRecord;
import dev.streamclassifier.job.event.TextEvent;
import dev.streamclassifier.job.registry.RegistryAvroReader;
import dev.streamclassifier.job.registry.RegistryFraming;
import dev.streamclassifier.job.registry.SchemaRegistry;
import dev.streamclassifier.job.text.QuotedReplies;
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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Decodes the value of an email, ticket or chat record, Avro (single-object or registry-framed) or JSON, into a
 * {@link TextEvent}: its id, the text to classify, its time and the input fields to carry into the labelled event.
 * JSON is read through a {@link JsonMapping} per kind. Every failure is a {@link DecodeException} whose message says what was wrong with the
 * record.
 *
 * <p>Not thread-safe (Avro decoders reuse buffers): one instance per operator instance.
 */
public final class InputDecoder {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final DecodeSettings settings;
    private final SingleObjectCodec<Email> emails = SingleObjectCodec.of(Email.getClassSchema());
    private final SingleObjectCodec<Ticket> tickets = SingleObjectCodec.of(Ticket.getClassSchema());
    private final SingleObjectCodec<ChatMessage> chats = SingleObjectCodec.of(ChatMessage.getClassSchema());

    /** Readers of registry-framed records, when a registry is configured. */
    private final RegistryAvroReader<Email> registryEmails;
    private final RegistryAvroReader<Ticket> registryTickets;
    private final RegistryAvroReader<ChatMessage> registryChats;

    public InputDecoder(DecodeSettings settings) {
        this.settings = settings;
        SchemaRegistry registry = settings.registry().configured() ? new SchemaRegistry(settings.registry()) : null;
        registryEmails = registry == null ? null : new RegistryAvroReader<>(registry, Email.getClassSchema());
        registryTickets = registry == null ? null : new RegistryAvroReader<>(registry, Ticket.getClassSchema());
        registryChats = registry == null ? null : new RegistryAvroReader<>(registry, ChatMessage.getClassSchema());
    }

    public TextEvent decode(RawRecord record) throws DecodeException {
        byte[] value = record.value;
        if (value == null) {
            throw new DecodeException("DECODE", "record has no value (null or tombstone)");
        }
        if (value.length == 0) {
            throw new DecodeException("DECODE", "record value is empty (0 bytes)");
        }
        InputFormat format = settings.formats().getOrDefault(record.kind, InputFormat.AUTO);
        boolean avro = SingleObjectCodec.isSingleObject(value);
        boolean framed = RegistryFraming.isFramed(value);
        if (format == InputFormat.AVRO && !avro) {
            throw new DecodeException("DECODE", "topic is configured for Avro but the value does not start with the "
                    + "single-object marker C3 01" + (framed ? "; it looks registry-framed (byte 0, then a schema id): "
                    + "set format." + record.kind.name().toLowerCase(Locale.ROOT) + "s=registry-avro and registry.url" : ""));
        }
        if (format == InputFormat.REGISTRY_AVRO && !framed) {
            throw new DecodeException("DECODE", "topic is configured for registry-avro but the value does not start "
                    + "with byte 0 and a 4-byte schema id");
        }
        TextEvent event;
        if (format == InputFormat.REGISTRY_AVRO || (format == InputFormat.AUTO && framed && registryEmails != null)) {
            event = decodeRegistryAvro(record);
        } else if (avro && format != InputFormat.JSON) {
            event = decodeAvro(record);
        } else {
            event = decodeJson(record);
        }
        if (settings.stripQuotedReplies() && event.kind == EventKind.EMAIL && event.text != null) {
            event.text = QuotedReplies.strip(event.text);
        }
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

    private TextEvent decodeRegistryAvro(RawRecord record) throws DecodeException {
        try {
            return switch (record.kind) {
                case EMAIL -> fromEmail(registryEmails.read(record.value), record);
                case TICKET -> fromTicket(registryTickets.read(record.value), record);
                case CHAT -> fromChat(registryChats.read(record.value), record);
            };
        } catch (SchemaRegistry.UnknownSchemaException e) {
            throw new DecodeException("DECODE", e.getMessage(), e);
        } catch (IOException | AvroRuntimeException | IndexOutOfBoundsException | NegativeArraySizeException e) {
            throw new DecodeException("DECODE", "not a valid registry-framed Avro " + record.kind + " (schema id "
                    + RegistryFraming.schemaId(record.value) + "): " + describe(e), e);
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
            if (RegistryFraming.isFramed(record.value)) {
                throw new DecodeException("DECODE", "value starts with byte 0 and a schema id, as registry-framed Avro "
                        + "does, but no schema registry is configured: set registry.url", e);
            }
            throw new DecodeException("DECODE", "value is neither Avro single-object (C3 01 header) nor valid JSON: "
                    + e.getOriginalMessage(), e);
        }
        if (node == null || !node.isObject()) {
            throw new DecodeException("DECODE", "JSON value must be an object, was "
                    + (node == null ? "empty" : node.getNodeType()));
        }
        JsonMapping mapping = settings.json().get(record.kind);
        JsonFields fields = new JsonFields(node);
        String id = fields.required(mapping.id());
        List<String> parts = new ArrayList<>(mapping.text().size());
        for (String pointer : mapping.text()) {
            String part = fields.optional(pointer);
            if (!part.isBlank()) {
                parts.add(part);
            }
        }
        if (parts.isEmpty()) {
            throw new DecodeException("VALIDATION", "no text to classify: JSON field" + (mapping.text().size() == 1
                    ? " '" + mapping.text().get(0) + "' is missing or empty" : "s " + mapping.text()
                    + " are missing or empty"));
        }
        Map<String, String> attributes = new LinkedHashMap<>();
        for (Map.Entry<String, String> attribute : mapping.attributes().entrySet()) {
            JsonNode value = node.at(attribute.getValue());
            if (!value.isMissingNode() && !value.isNull() && value.isValueNode()) {
                attributes.put(attribute.getKey(), value.asText());
            }
        }
        return new TextEvent(record.kind, id, String.join(mapping.textSeparator(), parts),
                fields.time(mapping.time(), record.timestamp), record).withAttributes(attributes);
    }

    private static TextEvent fromEmail(Email email, RawRecord record) {
        return new TextEvent(EventKind.EMAIL, email.getId(), join(email.getSubject(), email.getBody()),
                email.getReceivedAt().toEpochMilli(), record).withAttributes(Map.of("from", email.getFrom()));
    }

    private static TextEvent fromTicket(Ticket ticket, RawRecord record) {
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put("customerId", ticket.getCustomerId());
        attributes.put("channel", ticket.getChannel());
        return new TextEvent(EventKind.TICKET, ticket.getId(), join(ticket.getSubject(), ticket.getDescription()),
                ticket.getCreatedAt().toEpochMilli(), record).withAttributes(attributes);
    }

    private static TextEvent fromChat(ChatMessage chat, RawRecord record) {
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put("userId", chat.getUserId());
        attributes.put("conversationId", chat.getConversationId());
        return new TextEvent(EventKind.CHAT, chat.getId(), chat.getText(), chat.getSentAt().toEpochMilli(), record)
                .withAttributes(attributes);
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

    /** Typed access to a JSON object's fields by JSON pointer, with messages that name the field. */
    private static final class JsonFields {
        private final JsonNode node;

        JsonFields(JsonNode node) {
            this.node = node;
        }

        private JsonNode at(String pointer) {
            return node.at(pointer);
        }

        String required(String pointer) throws DecodeException {
            JsonNode value = at(pointer);
            if (value.isMissingNode() || value.isNull()) {
                throw new DecodeException("VALIDATION", "JSON field '" + pointer + "' is missing");
            }
            if (!value.isTextual()) {
                throw new DecodeException("VALIDATION", "JSON field '" + pointer + "' must be a string, was "
                        + value.getNodeType());
            }
            return value.asText();
        }

        String optional(String pointer) throws DecodeException {
            JsonNode value = at(pointer);
            if (value.isMissingNode() || value.isNull()) {
                return "";
            }
            if (!value.isTextual()) {
                throw new DecodeException("VALIDATION", "JSON field '" + pointer + "' must be a string, was "
                        + value.getNodeType());
            }
            return value.asText();
        }

        /** Epoch milliseconds or an ISO-8601 instant; the Kafka record's timestamp when absent. */
        long time(String pointer, long fallback) throws DecodeException {
            JsonNode value = at(pointer);
            if (value.isMissingNode() || value.isNull()) {
                return fallback;
            }
            if (value.isIntegralNumber()) {
                return value.asLong();
            }
            if (value.isTextual()) {
                try {
                    return Instant.parse(value.asText()).toEpochMilli();
                } catch (DateTimeParseException e) {
                    throw new DecodeException("VALIDATION", "JSON field '" + pointer
                            + "' must be epoch milliseconds or an ISO-8601 instant, was '" + value.asText() + "'");
                }
            }
            throw new DecodeException("VALIDATION", "JSON field '" + pointer + "' must be a number or string, was "
                    + value.getNodeType());
        }
    }
}
