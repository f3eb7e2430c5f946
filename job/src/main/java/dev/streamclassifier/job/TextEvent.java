package dev.streamclassifier.job;

/**
 * A decoded input reduced to what classification needs: its kind and id, the text to classify, its time, and where it
 * came from (topic, partition, offset, raw bytes), so that a later failure can still produce a complete dead letter.
 * A Flink POJO.
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
    }

    @Override
    public String toString() {
        return kind + " " + id + " (" + topic + "/" + partition + "@" + offset + ")";
    }
}
