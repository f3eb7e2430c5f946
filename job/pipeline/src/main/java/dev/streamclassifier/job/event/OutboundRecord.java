package dev.streamclassifier.job.event;

/**
 * A record ready for one output topic: the topic, the key and the single-object encoded value. The job encodes once
 * in the operator that knows the record, so the sinks only route bytes. A Flink POJO.
 */
public class OutboundRecord {
    public String topic;
    public byte[] key;
    public byte[] value;
    /** Headers to write with the record (input headers the job carries through), names and values in step. */
    public String[] headerNames = new String[0];
    public byte[][] headerValues = new byte[0][];

    public OutboundRecord() {}

    public OutboundRecord(String topic, byte[] key, byte[] value) {
        this.topic = topic;
        this.key = key;
        this.value = value;
    }

    /** This record with the headers given, names and values in step. */
    public OutboundRecord withHeaders(String[] names, byte[][] values) {
        this.headerNames = names;
        this.headerValues = values;
        return this;
    }

    @Override
    public String toString() {
        return "-> " + topic + " (" + (value == null ? 0 : value.length) + " bytes)";
    }
}
