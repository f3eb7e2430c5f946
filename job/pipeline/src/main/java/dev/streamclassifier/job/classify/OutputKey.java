package dev.streamclassifier.job.classify;

import dev.streamclassifier.job.event.TextEvent;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * What keys a labelled event's Kafka record: the input record's key (so that a conversation's or a customer's events
 * stay in one partition, in order), the event's id, or one of the input fields it carries.
 *
 * @param attribute the carried field that keys the record, for {@code attribute:NAME}; null otherwise
 */
public record OutputKey(Source source, String attribute) implements Serializable {
    public enum Source { INPUT, ID, ATTRIBUTE }

    /** {@code input}, {@code id} or {@code attribute:NAME}. */
    public static OutputKey parse(String value) {
        String trimmed = value.trim();
        if (trimmed.toLowerCase(Locale.ROOT).startsWith("attribute:") && trimmed.length() > "attribute:".length()) {
            return new OutputKey(Source.ATTRIBUTE, trimmed.substring("attribute:".length()));
        }
        return switch (trimmed.toLowerCase(Locale.ROOT)) {
            case "input" -> new OutputKey(Source.INPUT, null);
            case "id" -> new OutputKey(Source.ID, null);
            default -> throw new IllegalArgumentException("output.key must be input, id or attribute:NAME, was '"
                    + value + "'");
        };
    }

    /** The key for {@code event}; its id when the chosen source has none (a record without key, say). */
    byte[] of(TextEvent event) {
        byte[] id = event.id.getBytes(StandardCharsets.UTF_8);
        return switch (source) {
            case INPUT -> event.key != null ? event.key : id;
            case ID -> id;
            case ATTRIBUTE -> {
                String value = event.attributes().get(attribute);
                yield value == null ? id : value.getBytes(StandardCharsets.UTF_8);
            }
        };
    }
}
