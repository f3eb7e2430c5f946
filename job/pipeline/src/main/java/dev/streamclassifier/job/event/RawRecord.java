package dev.streamclassifier.job.event;

/**
 * A Kafka record as read, before decoding: decoding happens in {@link DecodeFunction}, so a bad record becomes a dead
 * letter instead of failing the source. A Flink POJO.
 */
public class RawRecord {
    public EventKind kind;
    public String topic;
    public int partition;
    public long offset;
    public long timestamp;
    public byte[] key;
    public byte[] value;
    /** The input headers the job carries to its outputs ({@code output.headers}), names and values in step. */
    public String[] headerNames = new String[0];
    public byte[][] headerValues = new byte[0][];
    /** A model update from the control topic, which every classify instance gets, rather than an input event. */
    public boolean control;

    public RawRecord() {}

    public RawRecord(EventKind kind, String topic, int partition, long offset, long timestamp, byte[] key,
            byte[] value) {
        this.kind = kind;
        this.topic = topic;
        this.partition = partition;
        this.offset = offset;
        this.timestamp = timestamp;
        this.key = key;
        this.value = value;
    }

    @Override
    public String toString() {
        return kind + " " + topic + "/" + partition + "@" + offset;
    }
}
