package dev.streamclassifier.job.sink;

import dev.streamclassifier.job.event.OutboundRecord;
import dev.streamclassifier.job.event.RawRecord;
import dev.streamclassifier.job.event.TextEvent;
import dev.streamclassifier.schemas.CutRawRecord;
import dev.streamclassifier.schemas.DeadLetter;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * Builds dead letters: the raw input with the reason it could not be classified, encoded for the dead-letter topic.
 * A dead letter never exceeds the sink's record limit: when the raw key and value would not fit, they are cut, and the
 * dead letter keeps their full lengths and SHA-256 digests instead. An input the broker accepted may be nearly as
 * large as a record can be, and its dead letter, which wraps it, would otherwise be rejected by the sink on every
 * retry. Not thread-safe: one instance per operator instance.
 */
public final class DeadLetters {
    /** The longest reason kept; a stack of causes can be long and the record is for people. */
    private static final int MAX_MESSAGE = 2000;
    /** A raw key longer than this is cut when anything must be: keys are for partitioning, not for megabytes. */
    private static final int MAX_CUT_KEY_BYTES = 1024;
    /** Room for the dead letter's own fields and the cut's digests, above the raw bytes it keeps. */
    private static final int FIELDS_RESERVE = 8 * 1024;

    private final String topic;
    private final int maxRecordBytes;
    private final RecordEncoder<DeadLetter> encoder;

    /** Avro single-object encoded dead letters. */
    public DeadLetters(String topic, int maxRecordBytes) {
        this(topic, maxRecordBytes, new Encoding(OutputFormat.AVRO));
    }

    /** @param maxRecordBytes the most a dead letter may take, key and value together */
    public DeadLetters(String topic, int maxRecordBytes, Encoding encoding) {
        this.topic = topic;
        this.maxRecordBytes = maxRecordBytes;
        this.encoder = encoding.encoder(DeadLetter.getClassSchema());
    }

    public OutboundRecord of(RawRecord source, String errorKind, String message) {
        return of(source.topic, source.partition, source.offset, source.key, source.value, errorKind, message)
                .withHeaders(source.headerNames, source.headerValues);
    }

    public OutboundRecord of(TextEvent source, String errorKind, String message) {
        return of(source.topic, source.partition, source.offset, source.key, source.value, errorKind, message)
                .withHeaders(source.headerNames, source.headerValues);
    }

    private OutboundRecord of(String sourceTopic, int partition, long offset, byte[] key, byte[] value,
            String errorKind, String message) {
        String reason = message == null ? "(no message)" : message;
        DeadLetter.Builder letter = DeadLetter.newBuilder()
                .setSourceTopic(sourceTopic)
                .setPartition(partition)
                .setOffset(offset)
                .setKey(key == null ? null : ByteBuffer.wrap(key))
                .setValue(value == null ? null : ByteBuffer.wrap(value))
                .setErrorKind(errorKind)
                .setMessage(reason.length() > MAX_MESSAGE ? reason.substring(0, MAX_MESSAGE) + "..." : reason)
                .setFailedAt(Instant.now());
        // The key counts twice: as the record's key and inside the dead letter.
        if (2 * length(key) + length(value) + FIELDS_RESERVE <= maxRecordBytes) {
            byte[] encoded = encoder.encode(letter.build(), topic);
            if (length(key) + encoded.length <= maxRecordBytes) {
                return new OutboundRecord(topic, key, encoded);
            }
        }
        byte[] keptKey = key == null || key.length <= MAX_CUT_KEY_BYTES ? key : Arrays.copyOf(key, MAX_CUT_KEY_BYTES);
        letter.setKey(keptKey == null ? null : ByteBuffer.wrap(keptKey))
                .setCut(CutRawRecord.newBuilder()
                        .setKeyLength(length(key))
                        .setKeySha256(key == null ? null : sha256(key))
                        .setValueLength(length(value))
                        .setValueSha256(value == null ? null : sha256(value))
                        .build());
        // Cut the value to the budget, then again by what the encoding added (base64 in JSON takes a third more).
        int budget = Math.max(0, maxRecordBytes - FIELDS_RESERVE - 2 * length(keptKey));
        byte[] encoded = null;
        for (int attempt = 0; attempt < 4; attempt++) {
            byte[] keptValue = value == null || value.length <= budget ? value : Arrays.copyOf(value, budget);
            letter.setValue(keptValue == null ? null : ByteBuffer.wrap(keptValue));
            encoded = encoder.encode(letter.build(), topic);
            int over = length(keptKey) + encoded.length - maxRecordBytes;
            if (over <= 0 || budget == 0) {
                break;
            }
            budget = Math.max(0, budget - over - over / 2 - 1);
        }
        return new OutboundRecord(topic, keptKey, encoded);
    }

    private static int length(byte[] bytes) {
        return bytes == null ? 0 : bytes.length;
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("Every Java runtime has SHA-256", e);
        }
    }
}
