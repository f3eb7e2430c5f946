package dev.streamclassifier.job.classify;

import dev.streamclassifier.job.TestConfigs;
import dev.streamclassifier.job.event.EventKind;
import dev.streamclassifier.job.event.OutboundRecord;
import dev.streamclassifier.job.event.TextEvent;
import dev.streamclassifier.schemas.ClassifiedEvent;
import dev.streamclassifier.schemas.SingleObjectCodec;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

/** Each flush trigger of the batching operator, on the real bundled classifiers. */
class ClassifyOperatorTest {
    private static final int MAX_BATCH = 4;
    private static final Duration MAX_DELAY = Duration.ofMillis(100);
    private final SingleObjectCodec<ClassifiedEvent> codec = SingleObjectCodec.of(ClassifiedEvent.getClassSchema());
    private ClassifyOperator operator;
    private ClassifyHarness harness;

    @BeforeEach
    void open() throws Exception {
        operator = new ClassifyOperator(TestConfigs.classify(MAX_BATCH, MAX_DELAY));
        harness = ClassifyHarness.of(operator);
        harness.setProcessingTime(1_000);
        harness.open();
    }

    @AfterEach
    void close() throws Exception {
        harness.close();
    }

    private static TextEvent chat(String id, String text) {
        return new TextEvent(EventKind.CHAT, id, text, 1_000, TestConfigs.raw(EventKind.CHAT, 0, new byte[0]));
    }

    private static TextEvent ticket(String id, String text) {
        return new TextEvent(EventKind.TICKET, id, text, 1_000, TestConfigs.raw(EventKind.TICKET, 0, new byte[0]));
    }

    private List<OutboundRecord> outputs() {
        ConcurrentLinkedQueue<Object> queue = harness.getOutput();
        return queue.stream().filter(StreamRecord.class::isInstance)
                .map(r -> (OutboundRecord) ((StreamRecord<?>) r).getValue()).toList();
    }

    private ClassifiedEvent decode(OutboundRecord record) throws Exception {
        return codec.decode(record.value);
    }

    @Test
    void buffersUntilTheBatchIsFull() throws Exception {
        for (int i = 0; i < MAX_BATCH - 1; i++) {
            harness.processElement(new StreamRecord<>(chat("c" + i, "see you tomorrow at the office")));
        }
        assertThat(outputs()).isEmpty();
        assertThat(harness.buffered()).isEqualTo(MAX_BATCH - 1);

        harness.processElement(new StreamRecord<>(chat("c3", "thanks, that helps a lot")));
        assertThat(harness.buffered()).isZero();
        harness.runNextMail();

        assertThat(outputs()).hasSize(MAX_BATCH);
        assertThat(decode(outputs().get(0)).getBatchSize()).isEqualTo(MAX_BATCH);
    }

    @Test
    void flushesWhenTheBatchDelayPasses() throws Exception {
        harness.processElement(new StreamRecord<>(chat("c1", "good morning everyone")));
        harness.setProcessingTime(1_000 + MAX_DELAY.toMillis() - 1);
        assertThat(outputs()).isEmpty();

        harness.setProcessingTime(1_000 + MAX_DELAY.toMillis());
        assertThat(harness.buffered()).isZero();
        harness.runNextMail();

        assertThat(outputs()).hasSize(1);
    }

    @Test
    void aCheckpointKeepsBufferedEventsInStateAndARestoredOperatorClassifiesThem() throws Exception {
        harness.processElement(new StreamRecord<>(ticket("t1", "My card has not arrived yet")));
        harness.processElement(new StreamRecord<>(chat("c1", "hello there")));

        OperatorSubtaskState checkpoint = harness.snapshot(1L, 1_000);

        assertThat(outputs()).as("the checkpoint does not force the batch out").isEmpty();
        assertThat(harness.buffered()).isEqualTo(2);
        assertThat(idsAfterRestoring(checkpoint, 1, 0)).containsExactly("t1", "c1");
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void aCheckpointDoesNotWaitForTheRunningBatchAndStoresItsEvents() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        ClassifyOperator gated = gatedOperator("checkpoint", gate, MAX_BATCH);
        OperatorSubtaskState checkpoint;
        try (ClassifyHarness own = ClassifyHarness.of(gated)) {
            own.open();
            own.processElement(new StreamRecord<>(chat("running", "good morning")));
            own.processElement(new StreamRecord<>(chat("waiting", "see you at lunch")));

            // With the batch held on the inference thread, a checkpoint that waited for it would never return.
            checkpoint = own.snapshot(1L, 1_000);

            assertThat(own.extractOutputValues()).isEmpty();
            gate.countDown();
            gated.finish();
            assertThat(own.extractOutputValues()).as("after the barrier, both are emitted as usual").hasSize(2);
        } finally {
            FaultyClassifiers.GATES.remove("checkpoint");
        }
        assertThat(idsAfterRestoring(checkpoint, 1, 0))
                .as("running batch first, then the buffer, as they were taken in")
                .containsExactly("running", "waiting");
    }

    @Test
    void inFlightEventsAreSplitOverTheSubtasksWhenTheJobIsRescaled() throws Exception {
        harness.processElement(new StreamRecord<>(chat("a", "good morning")));
        harness.processElement(new StreamRecord<>(chat("b", "see you at lunch")));
        OperatorSubtaskState checkpoint = harness.snapshot(1L, 1_000);

        List<List<String>> idsBySubtask = new ArrayList<>();
        for (int subtask = 0; subtask < 2; subtask++) {
            idsBySubtask.add(idsAfterRestoring(AbstractStreamOperatorTestHarness.repartitionOperatorState(checkpoint,
                    ClassifyHarness.MAX_PARALLELISM, 1, 2, subtask), 2, subtask));
        }
        assertThat(idsBySubtask).as("one event each, none lost or doubled")
                .containsExactly(List.of("a"), List.of("b"));
    }

    /**
     * A fresh operator, subtask {@code subtask} of {@code parallelism}, restored from {@code state}: opened, its batch
     * delay passed (restored events are buffered like new ones), its running batch awaited and its input ended.
     * Returns the ids of the events it emitted, in order.
     */
    private List<String> idsAfterRestoring(OperatorSubtaskState state, int parallelism, int subtask) throws Exception {
        ClassifyOperator restored = new ClassifyOperator(TestConfigs.classify(MAX_BATCH, MAX_DELAY));
        try (ClassifyHarness own = ClassifyHarness.of(restored, parallelism, subtask)) {
            own.setProcessingTime(5_000);
            own.initializeState(state);
            own.open();
            own.setProcessingTime(5_000 + MAX_DELAY.toMillis());
            own.runNextMail();
            restored.finish();
            return sourceIds(own.extractOutputValues());
        }
    }

    private List<String> sourceIds(List<OutboundRecord> records) throws Exception {
        List<String> ids = new ArrayList<>();
        for (OutboundRecord record : records) {
            ids.add(decode(record).getSourceId().toString());
        }
        return ids;
    }

    /** An operator whose every classifier call waits for {@code gate}, registered under {@code key} until removed. */
    private static ClassifyOperator gatedOperator(String key, CountDownLatch gate, int maxBatch) {
        FaultyClassifiers.GATES.put(key, gate);
        return new ClassifyOperator(TestConfigs.classify(maxBatch, Duration.ZERO), FaultyClassifiers.opener(key));
    }

    @Test
    void flushesAtEndOfInput() throws Exception {
        harness.processElement(new StreamRecord<>(chat("c1", "are we still on for lunch?")));

        operator.finish();

        assertThat(outputs()).hasSize(1);
        assertThat(harness.buffered()).isZero();
    }

    @Test
    void timerOfAnEarlierBatchDoesNotFlushTheNextOneEarly() throws Exception {
        for (int i = 0; i < MAX_BATCH; i++) {
            harness.processElement(new StreamRecord<>(chat("a" + i, "nice weather today")));
        }
        harness.runNextMail();
        assertThat(outputs()).hasSize(MAX_BATCH);
        harness.setProcessingTime(1_050);
        harness.processElement(new StreamRecord<>(chat("b", "see you soon")));

        harness.setProcessingTime(1_000 + MAX_DELAY.toMillis());

        assertThat(outputs()).hasSize(MAX_BATCH);
        assertThat(harness.buffered()).isEqualTo(1);
        harness.setProcessingTime(1_050 + MAX_DELAY.toMillis());
        assertThat(harness.buffered()).isZero();
        harness.runNextMail();
        assertThat(outputs()).hasSize(MAX_BATCH + 1);
    }

    @Test
    void aCancelledTimerWhoseCallbackWasAlreadyQueuedDoesNotStartTheNextBatch() throws Exception {
        harness.processElement(new StreamRecord<>(chat("b", "see you soon")));

        // Flink queues a timer's callback in the mailbox when it fires; cancelling it later does not take it back.
        operator.onProcessingTime(1_000 + MAX_DELAY.toMillis() - 30);

        assertThat(harness.buffered()).isEqualTo(1);
        harness.setProcessingTime(1_000 + MAX_DELAY.toMillis());
        assertThat(harness.buffered()).isZero();
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void withNoDelayTheNextBatchFormsWhileOneRunsAndStartsWhenItEnds() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        ClassifyOperator gated = gatedOperator("overlap", gate, MAX_BATCH);
        try (ClassifyHarness own = ClassifyHarness.of(gated)) {
            own.open();
            own.processElement(new StreamRecord<>(chat("first", "good morning")));
            assertThat(own.buffered()).as("a lone event starts at once on a free inference thread").isZero();
            own.processElement(new StreamRecord<>(chat("second", "see you at lunch")));
            own.processElement(new StreamRecord<>(chat("third", "thanks a lot")));
            assertThat(own.buffered()).as("events wait while the first batch runs").isEqualTo(2);
            assertThat(own.extractOutputValues()).isEmpty();

            gate.countDown();
            own.runNextMail();
            own.runNextMail();

            List<ClassifiedEvent> events = new ArrayList<>();
            for (OutboundRecord record : own.extractOutputValues()) {
                events.add(decode(record));
            }
            assertThat(events).extracting(e -> e.getSourceId().toString()).containsExactly("first", "second", "third");
            assertThat(events).extracting(ClassifiedEvent::getBatchSize).containsExactly(1, 2, 2);
        } finally {
            FaultyClassifiers.GATES.remove("overlap");
        }
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void aFullBatchWaitsForTheInferenceThreadAndEveryEventIsEmittedInOrder() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        ClassifyOperator gated = gatedOperator("full", gate, 2);
        try (ClassifyHarness own = ClassifyHarness.of(gated)) {
            own.open();
            own.processElement(new StreamRecord<>(chat("a", "one")));
            own.processElement(new StreamRecord<>(chat("b", "two")));
            Thread opener = new Thread(() -> {
                sleepQuietly(200);
                gate.countDown();
            });
            opener.start();
            // The buffer is full (b, c) while "a" runs: this call returns only once "a" is done and emitted.
            own.processElement(new StreamRecord<>(chat("c", "three")));
            assertThat(gate.getCount()).isZero();
            assertThat(own.extractOutputValues()).hasSize(1);
            assertThat(own.buffered()).isZero();

            gated.finish();

            assertThat(sourceIds(own.extractOutputValues())).containsExactly("a", "b", "c");
            opener.join();
        } finally {
            FaultyClassifiers.GATES.remove("full");
        }
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
