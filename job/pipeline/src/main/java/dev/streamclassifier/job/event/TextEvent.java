package dev.streamclassifier.job.event;

import dev.streamclassifier.job.lifecycle.ModelCommand;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A decoded input reduced to what classification needs: its kind and id, the text to classify, its time, and where it
 * came from (topic, partition, offset, raw bytes), so that a later failure can still produce a complete dead letter.
 * Or an input that could not be decoded: then only {@link #deadLetter} and where it came from are set, and the
 * classify step writes the dead letter out with its own outputs. A Flink POJO.
 */
public class TextEvent {
    public EventKind kind;
    public String id;
    public String text;
    public long eventTime;
    public String topic;
    public int partition;
    public long offset;
    public byte[] key;
    public byte[] value;
    /** Input fields carried into the labelled event, names and values in step ({@code attributes} there). */
    public String[] attributeNames = new String[0];
    public String[] attributeValues = new String[0];
    /** The input headers carried to the outputs, names and values in step. */
    public String[] headerNames = new String[0];
    public byte[][] headerValues = new byte[0][];
    /** Set instead of the text when decoding failed: the dead letter to write, reason included. */
    public OutboundRecord deadLetter;
    /** Set instead of the text for a model update, which the classify step applies. */
    public ModelCommand command;

    public TextEvent() {}

    public TextEvent(EventKind kind, String id, String text, long eventTime, RawRecord source) {
        this.kind = kind;
        this.id = id;
        this.text = text;
        this.eventTime = eventTime;
        this.topic = source.topic;
        this.partition = source.partition;
        this.offset = source.offset;
        this.key = source.key;
        this.value = source.value;
        this.headerNames = source.headerNames;
        this.headerValues = source.headerValues;
    }

    /** This event with the input fields it carries to its labelled event. */
    public TextEvent withAttributes(Map<String, String> attributes) {
        attributeNames = attributes.keySet().toArray(String[]::new);
        attributeValues = attributes.values().toArray(String[]::new);
        return this;
    }

    /** The carried input fields, in the order they were given. */
    public Map<String, String> attributes() {
        Map<String, String> attributes = new LinkedHashMap<>();
        for (int i = 0; i < attributeNames.length; i++) {
            attributes.put(attributeNames[i], attributeValues[i]);
        }
        return attributes;
    }

    /** An input that could not be decoded, carrying its dead letter to the classify step. */
    public static TextEvent undecodable(RawRecord source, OutboundRecord deadLetter) {
        TextEvent event = new TextEvent();
        event.topic = source.topic;
        event.partition = source.partition;
        event.offset = source.offset;
        event.deadLetter = deadLetter;
        event.headerNames = source.headerNames;
        event.headerValues = source.headerValues;
        return event;
    }

    /** A model update on its way to the classify step. */
    public static TextEvent command(ModelCommand command, RawRecord source) {
        TextEvent event = new TextEvent();
        event.topic = source.topic;
        event.partition = source.partition;
        event.offset = source.offset;
        event.command = command;
        return event;
    }

    @Override
    public String toString() {
        String what = deadLetter != null ? "undecodable" : command != null ? "model update " + command
                : kind + " " + id;
        return what + " (" + topic + "/" + partition + "@" + offset + ")";
    }
}
