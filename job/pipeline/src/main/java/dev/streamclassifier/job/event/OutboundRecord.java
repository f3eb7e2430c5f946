package dev.streamclassifier.job.event;

/**
 * A record ready for one output topic: the topic, the key and the single-object encoded value. The job encodes once
 * in the operator that knows the record, so the sinks only route bytes. A Flink POJO.
 */
public class OutboundRecord {
    public String topic;
    public byte[] key;
    public byte[] value;

    public OutboundRecord() {}

    public OutboundRecord(String topic, byte[] key, byte[] value) {
        this.topic = topic;
        this.key = key;
        this.value = value;
    }

    @Override
    public String toString() {
        return "-> " + topic + " (" + (value == null ? 0 : value.length) + " bytes)";
    }
}
