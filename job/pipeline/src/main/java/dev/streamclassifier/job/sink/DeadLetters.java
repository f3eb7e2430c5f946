package dev.streamclassifier.job.sink;

import dev.streamclassifier.job.event.OutboundRecord;
import dev.streamclassifier.job.event.RawRecord;
import dev.streamclassifier.job.event.TextEvent;
import dev.streamclassifier.schemas.DeadLetter;
import dev.streamclassifier.schemas.SingleObjectCodec;

import java.nio.ByteBuffer;
import java.time.Instant;

/**
 * Builds dead letters: the raw input with the reason it could not be classified, encoded for the dead-letter topic.
 * Not thread-safe: one instance per operator instance.
 */
public final class DeadLetters {
    /** The longest reason kept; a stack of causes can be long and the record is for people. */
    private static final int MAX_MESSAGE = 2000;

    private final String topic;
    private final SingleObjectCodec<DeadLetter> codec = SingleObjectCodec.of(DeadLetter.getClassSchema());

    public DeadLetters(String topic) {
        this.topic = topic;
    }

    public OutboundRecord of(RawRecord source, String errorKind, String message) {
        return of(source.topic, source.partition, source.offset, source.key, source.value, errorKind, message);
    }

    public OutboundRecord of(TextEvent source, String errorKind, String message) {
        return of(source.topic, source.partition, source.offset, source.key, source.value, errorKind, message);
    }

    private OutboundRecord of(String sourceTopic, int partition, long offset, byte[] key, byte[] value,
            String errorKind, String message) {
        String reason = message == null ? "(no message)" : message;
        DeadLetter letter = DeadLetter.newBuilder()
                .setSourceTopic(sourceTopic)
                .setPartition(partition)
                .setOffset(offset)
                .setKey(key == null ? null : ByteBuffer.wrap(key))
                .setValue(value == null ? null : ByteBuffer.wrap(value))
                .setErrorKind(errorKind)
                .setMessage(reason.length() > MAX_MESSAGE ? reason.substring(0, MAX_MESSAGE) + "..." : reason)
                .setFailedAt(Instant.now())
                .build();
        return new OutboundRecord(topic, key, codec.encode(letter));
    }
}
