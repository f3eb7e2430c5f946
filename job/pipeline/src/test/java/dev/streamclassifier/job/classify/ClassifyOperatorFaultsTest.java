package dev.streamclassifier.job.classify;

import dev.streamclassifier.job.TestConfigs;
import dev.streamclassifier.job.event.EventKind;
import dev.streamclassifier.job.event.OutboundRecord;
import dev.streamclassifier.job.event.RawRecord;
import dev.streamclassifier.job.event.TextEvent;
import dev.streamclassifier.job.sink.DeadLetters;
import dev.streamclassifier.schemas.ClassifiedEvent;
import dev.streamclassifier.schemas.DeadLetter;
import dev.streamclassifier.schemas.SingleObjectCodec;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Poison inputs, a broken model and over-long texts in the batching operator. */
class ClassifyOperatorFaultsTest {
    private ClassifyHarness harness;
    private ClassifyOperator operator;

    private void open(String key, ClassifySettings settings) throws Exception {
        operator = new ClassifyOperator(settings, FaultyClassifiers.opener(key));
        harness = ClassifyHarness.of(operator);
        harness.open();
    }

    @AfterEach
    void close() throws Exception {
        harness.close();
    }

    private static TextEvent chat(String id, String text) {
        return new TextEvent(EventKind.CHAT, id, text, 1_000, TestConfigs.raw(EventKind.CHAT, 5, new byte[] {42}));
    }

    /** Labelled events: everything on the output but dead letters. */
    private List<OutboundRecord> outputs() {
        return harness.extractOutputValues().stream().filter(r -> !r.topic.equals(TestConfigs.DEAD_LETTERS)).toList();
    }

    private List<OutboundRecord> deadLetters() {
        return harness.extractOutputValues().stream().filter(r -> r.topic.equals(TestConfigs.DEAD_LETTERS)).toList();
    }

    private static DeadLetter decoded(OutboundRecord deadLetter) throws Exception {
        return SingleObjectCodec.<DeadLetter>of(DeadLetter.getClassSchema()).decode(deadLetter.value);
    }

    @Test
    void aPoisonTextBecomesADeadLetterAndTheRestOfItsBatchIsClassified() throws Exception {
        open("poison", TestConfigs.classify(8, Duration.ofSeconds(1)));
        harness.processElement(new StreamRecord<>(chat("c1", "see you tomorrow")));
        harness.processElement(new StreamRecord<>(chat("c2", "hello " + FaultyClassifiers.POISON)));
        harness.processElement(new StreamRecord<>(chat("c3", "WINNER!! Call 09061701461 now to claim your prize")));

        operator.finish();

        SingleObjectCodec<ClassifiedEvent> events = SingleObjectCodec.of(ClassifiedEvent.getClassSchema());
        List<String> ids = outputs().stream().map(r -> {
            try {
                return events.decode(r.value).getSourceId();
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }).toList();
        assertThat(ids).containsExactly("c1", "c3");
        List<OutboundRecord> dead = deadLetters();
        assertThat(dead).hasSize(1);
        DeadLetter letter = decoded(dead.get(0));
        assertThat(letter.getErrorKind()).isEqualTo("INFERENCE");
        assertThat(letter.getMessage()).contains("crashes the model").contains("chat-moderation");
        assertThat(letter.getOffset()).isEqualTo(5);
        assertThat(letter.getValue().array()).containsExactly(42);
    }

    @Test
    void anUndecodableInputsDeadLetterGoesOutAsItIsWithoutInference() throws Exception {
        open("undecodable", TestConfigs.classify(8, Duration.ofSeconds(1)));
        RawRecord bad = TestConfigs.raw(EventKind.CHAT, 7, new byte[] {1, 2, 3});
        OutboundRecord letter = new DeadLetters(TestConfigs.DEAD_LETTERS, TestConfigs.MAX_RECORD_BYTES).of(bad, "FORMAT", "not Avro");
        harness.processElement(new StreamRecord<>(chat("c1", "see you tomorrow")));
        harness.processElement(new StreamRecord<>(TextEvent.undecodable(bad, letter), 1_700_000_000_123L));

        assertThat(deadLetters()).hasSize(1);
        assertThat(harness.getOutput()).singleElement().satisfies(record -> assertThat(((StreamRecord<?>) record)
                .getTimestamp()).as("the input's (Kafka) timestamp").isEqualTo(1_700_000_000_123L));
        assertThat(deadLetters().get(0).value).isEqualTo(letter.value);
        assertThat(harness.buffered()).as("the good event waits for its batch; the bad one never joins it")
                .isEqualTo(1);
        operator.finish();
        assertThat(outputs()).hasSize(1);
        assertThat(deadLetters()).hasSize(1);
        DeadLetter written = decoded(deadLetters().get(0));
        assertThat(written.getErrorKind()).isEqualTo("FORMAT");
        assertThat(written.getOffset()).isEqualTo(7);
    }

    @Test
    void aModelThatFailsOnEveryTextFailsTheTaskInsteadOfDeadLetteringEverything() throws Exception {
        FaultyClassifiers.BROKEN_CALLS.put("broken", new AtomicInteger(100));
        open("broken", TestConfigs.classify(8, Duration.ofSeconds(1)));
        harness.processElement(new StreamRecord<>(chat("c1", "one")));
        harness.processElement(new StreamRecord<>(chat("c2", "two")));

        assertThatThrownBy(() -> operator.finish())
                .hasMessageContaining("failed on every one of 2 texts")
                .hasMessageContaining("chat-moderation");
        assertThat(deadLetters()).isEmpty();
    }

    @Test
    void longTextsAreTruncatedToTheWindowFlaggedAndClippedInTheOutput() throws Exception {
        ClassifySettings base = TestConfigs.classify(8, Duration.ofSeconds(1));
        ClassifySettings clipped = new ClassifySettings(base.tasks(), base.batch(), base.models(),
                TestConfigs.output(1_000, 0));
        open("long", clipped);
        String huge = "please refund my card payment ".repeat(40_000);
        harness.processElement(new StreamRecord<>(chat("big", huge)));
        harness.processElement(new StreamRecord<>(chat("small", "hi there")));

        operator.finish();

        SingleObjectCodec<ClassifiedEvent> codec = SingleObjectCodec.of(ClassifiedEvent.getClassSchema());
        ClassifiedEvent big = codec.decode(outputs().get(0).value);
        ClassifiedEvent small = codec.decode(outputs().get(1).value);
        assertThat(big.getTruncated()).isTrue();
        assertThat(big.getText()).hasSize(1_000);
        assertThat(small.getTruncated()).isFalse();
        assertThat(outputs().get(0).value.length).isLessThan(10_000);
    }
}
