package dev.streamclassifier.job.sink;

import dev.streamclassifier.job.TestConfigs;
import dev.streamclassifier.job.event.EventKind;
import dev.streamclassifier.job.event.OutboundRecord;
import dev.streamclassifier.job.event.RawRecord;
import dev.streamclassifier.schemas.DeadLetter;
import dev.streamclassifier.schemas.SingleObjectCodec;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** Dead letters keep the raw record whole when it fits the record limit, and cut it, with its digests, when not. */
class DeadLettersTest {
    private static final int LIMIT = 100_000;
    private final SingleObjectCodec<DeadLetter> codec = SingleObjectCodec.of(DeadLetter.getClassSchema());

    private static byte[] random(int length) {
        byte[] bytes = new byte[length];
        new Random(length).nextBytes(bytes);
        return bytes;
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }

    private static RawRecord raw(byte[] key, byte[] value) {
        return new RawRecord(EventKind.CHAT, "chats", 2, 41, 1_000, key, value);
    }

    @Test
    void keepsARecordThatFitsWhole() throws Exception {
        byte[] value = random(10_000);
        OutboundRecord record = new DeadLetters("dead", LIMIT).of(raw(new byte[] {7}, value), "DECODE", "not JSON");

        DeadLetter letter = codec.decode(record.value);
        assertThat(bytes(letter.getValue())).isEqualTo(value);
        assertThat(letter.getCut()).isNull();
        assertThat(record.key).containsExactly(7);
        assertThat(record.topic).isEqualTo("dead");
    }

    @Test
    void cutsARecordThatWouldNotFitAndKeepsItsLengthAndDigest() throws Exception {
        byte[] key = random(5_000);
        byte[] value = random(LIMIT);
        OutboundRecord record = new DeadLetters("dead", LIMIT).of(raw(key, value), "DECODE", "x".repeat(5_000));

        assertThat(record.key.length + record.value.length).isLessThanOrEqualTo(LIMIT);
        DeadLetter letter = codec.decode(record.value);
        byte[] kept = bytes(letter.getValue());
        assertThat(kept).isEqualTo(Arrays.copyOf(value, kept.length)).hasSizeGreaterThan(LIMIT / 2);
        assertThat(bytes(letter.getKey())).hasSize(1024).isEqualTo(Arrays.copyOf(key, 1024));
        assertThat(letter.getCut().getValueLength()).isEqualTo(LIMIT);
        assertThat(letter.getCut().getValueSha256()).isEqualTo(DeadLetters.sha256(value)).hasSize(64);
        assertThat(letter.getCut().getKeyLength()).isEqualTo(5_000);
        assertThat(letter.getCut().getKeySha256()).isEqualTo(DeadLetters.sha256(key));
        assertThat(letter.getMessage()).hasSize(2003).endsWith("...");
        assertThat(letter.getOffset()).isEqualTo(41);
    }

    @Test
    void aRecordWithoutKeyOrValueStaysAsItIs() throws Exception {
        OutboundRecord record = new DeadLetters("dead", TestConfigs.MAX_RECORD_BYTES).of(raw(null, null), "DECODE",
                null);

        DeadLetter letter = codec.decode(record.value);
        assertThat(letter.getValue()).isNull();
        assertThat(letter.getMessage()).isEqualTo("(no message)");
        assertThat(letter.getCut()).isNull();
    }
}
