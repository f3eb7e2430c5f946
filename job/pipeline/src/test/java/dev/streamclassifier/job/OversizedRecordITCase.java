package dev.streamclassifier.job;

import dev.streamclassifier.job.config.JobOptions;
import dev.streamclassifier.schemas.ClassifiedEvent;
import dev.streamclassifier.schemas.DeadLetter;
import dev.streamclassifier.schemas.SingleObjectCodec;
import dev.streamclassifier.testkit.KafkaClients;
import dev.streamclassifier.testkit.SampleEvents;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A record as large as the broker accepts, which the job cannot decode, among good ones: its dead letter, which wraps
 * the raw value, would be larger than the sink's producer may send, fail the sink and, after every restart from the
 * checkpoint, fail it again. It must instead come out cut to size, with the full length and digest, and the stream
 * must go on.
 */
class OversizedRecordITCase {
    /** Just under the broker's default message.max.bytes (1,048,588) once Kafka's framing is added. */
    private static final int HUGE = 1_048_460;
    /** Twice a producer's default max.request.size: room to send the input. */
    private static final int PRODUCER_LIMIT = 2 * 1_048_576;

    @RegisterExtension
    static final MiniClusterExtension FLINK = KafkaExtension.flinkMiniCluster();

    @RegisterExtension
    static final KafkaExtension KAFKA = new KafkaExtension();

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void aRecordWhoseDeadLetterWouldBeTooLargeIsCutAndTheStreamGoesOn() throws Exception {
        Configuration options = ItOptions.of(KAFKA.kafka(), "huge");
        ItOptions.createTopics(KAFKA.kafka(), options);
        String chats = options.get(JobOptions.CHATS_TOPIC);
        byte[] huge = new byte[HUGE];
        new Random(1).nextBytes(huge);
        SampleEvents samples = new SampleEvents(3);
        Map<String, Object> client = new HashMap<>(KafkaClients.client(KAFKA.kafka().bootstrapServers()));
        client.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, PRODUCER_LIMIT);
        List<String> ids = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(client, 0)) {
            for (int i = 0; i < 10; i++) {
                if (i == 5) {
                    producer.send(new ProducerRecord<>(chats, "huge-key".getBytes(StandardCharsets.UTF_8), huge)).get();
                }
                ids.add("c-" + i);
                producer.send(new ProducerRecord<>(chats, samples.avro(samples.chat("c-" + i)))).get();
            }
        }

        ItOptions.runBounded(options, "oversized-record");

        String bootstrap = KAFKA.kafka().bootstrapServers();
        List<ClassifiedEvent> labelled = Stream.of("moderation-huge", "review-huge")
                .flatMap(topic -> KafkaClients.readClassified(bootstrap, topic).stream()).toList();
        assertThat(labelled).extracting(ClassifiedEvent::getSourceId).containsExactlyInAnyOrderElementsOf(ids);
        List<byte[]> written = KafkaClients.readCommitted(bootstrap, "dead-letters-huge");
        assertThat(written).singleElement().satisfies(value -> assertThat(value.length)
                .isLessThanOrEqualTo(JobOptions.MAX_RECORD_BYTES.defaultValue()));
        DeadLetter letter = KafkaClients.readDeadLetters(bootstrap, "dead-letters-huge").get(0);
        assertThat(letter.getErrorKind()).isEqualTo("DECODE");
        assertThat(letter.getCut().getValueLength()).isEqualTo(HUGE);
        assertThat(letter.getCut().getValueSha256())
                .isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(huge)));
        byte[] kept = new byte[letter.getValue().remaining()];
        letter.getValue().duplicate().get(kept);
        assertThat(huge).startsWith(kept);

        DeadLetter whole = DeadLetter.newBuilder(letter).setValue(ByteBuffer.wrap(huge)).setCut(null)
                .setFailedAt(Instant.now()).build();
        byte[] uncut = SingleObjectCodec.<DeadLetter>of(DeadLetter.getClassSchema()).encode(whole);
        try (KafkaProducer<byte[], byte[]> sinkLike = KafkaClients.producer(KafkaClients.client(bootstrap), 0)) {
            assertThatThrownBy(() -> sinkLike.send(new ProducerRecord<>("dead-letters-huge", uncut)).get())
                    .as("uncut, a producer with the default max.request.size rejects it: the case this test is about")
                    .hasCauseInstanceOf(RecordTooLargeException.class);
        }
    }
}
