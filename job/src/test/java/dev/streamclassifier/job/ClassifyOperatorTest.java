package dev.streamclassifier.job;

import dev.streamclassifier.schemas.ClassifiedEvent;
import dev.streamclassifier.schemas.SingleObjectCodec;
import dev.streamclassifier.udf.ClassScores;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.tasks.mailbox.TaskMailbox;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
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
    private static final int MAX_PARALLELISM = 128;

    private final SingleObjectCodec<ClassifiedEvent> codec = SingleObjectCodec.of(ClassifiedEvent.getClassSchema());
    private ClassifyOperator operator;
    private OneInputStreamOperatorTestHarness<TextEvent, OutboundRecord> harness;

    @BeforeEach
    void open() throws Exception {
        operator = new ClassifyOperator(TestConfigs.classifierConfig(MAX_BATCH, MAX_DELAY));
        harness = new OneInputStreamOperatorTestHarness<>(operator);
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
        assertThat(operator.buffered()).isEqualTo(MAX_BATCH - 1);

        harness.processElement(new StreamRecord<>(chat("c3", "thanks, that helps a lot")));
        assertThat(operator.buffered()).isZero();
        operator.awaitRunningBatch();

        assertThat(outputs()).hasSize(MAX_BATCH);
        assertThat(decode(outputs().get(0)).getBatchSize()).isEqualTo(MAX_BATCH);
    }

    @Test
    void flushesWhenTheBatchDelayPasses() throws Exception {
        harness.processElement(new StreamRecord<>(chat("c1", "good morning everyone")));
        harness.setProcessingTime(1_000 + MAX_DELAY.toMillis() - 1);
        assertThat(outputs()).isEmpty();

        harness.setProcessingTime(1_000 + MAX_DELAY.toMillis());
        assertThat(operator.buffered()).isZero();
        operator.awaitRunningBatch();

        assertThat(outputs()).hasSize(1);
    }

    @Test
    void aCheckpointKeepsBufferedEventsInStateAndARestoredOperatorClassifiesThem() throws Exception {
        harness.processElement(new StreamRecord<>(ticket("t1", "My card has not arrived yet")));
        harness.processElement(new StreamRecord<>(chat("c1", "hello there")));

        OperatorSubtaskState checkpoint = harness.snapshot(1L, 1_000);

        assertThat(outputs()).as("the checkpoint does not force the batch out").isEmpty();
        assertThat(operator.buffered()).isEqualTo(2);
        assertThat(idsAfterRestoring(checkpoint, 1, 0)).containsExactly("t1", "c1");
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void aCheckpointDoesNotWaitForTheRunningBatchAndStoresItsEvents() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        ClassifyOperator gated = gatedOperator("checkpoint", gate, MAX_BATCH);
        OperatorSubtaskState checkpoint;
        try (var own = new OneInputStreamOperatorTestHarness<TextEvent, OutboundRecord>(gated)) {
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
                    MAX_PARALLELISM, 1, 2, subtask), 2, subtask));
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
        ClassifyOperator restored = new ClassifyOperator(TestConfigs.classifierConfig(MAX_BATCH, MAX_DELAY));
        try (var own = new OneInputStreamOperatorTestHarness<TextEvent, OutboundRecord>(restored, MAX_PARALLELISM,
                parallelism, subtask)) {
            own.setProcessingTime(5_000);
            own.initializeState(state);
            own.open();
            own.setProcessingTime(5_000 + MAX_DELAY.toMillis());
            restored.awaitRunningBatch();
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
        return new ClassifyOperator(TestConfigs.classifierConfig(maxBatch, Duration.ZERO), FaultyClassifiers.opener(key));
    }

    @Test
    void flushesAtEndOfInput() throws Exception {
        harness.processElement(new StreamRecord<>(chat("c1", "are we still on for lunch?")));

        operator.finish();

        assertThat(outputs()).hasSize(1);
        assertThat(operator.buffered()).isZero();
    }

    @Test
    void timerOfAnEarlierBatchDoesNotFlushTheNextOneEarly() throws Exception {
        for (int i = 0; i < MAX_BATCH; i++) {
            harness.processElement(new StreamRecord<>(chat("a" + i, "nice weather today")));
        }
        operator.awaitRunningBatch();
        assertThat(outputs()).hasSize(MAX_BATCH);
        harness.setProcessingTime(1_050);
        harness.processElement(new StreamRecord<>(chat("b", "see you soon")));

        harness.setProcessingTime(1_000 + MAX_DELAY.toMillis());

        assertThat(outputs()).hasSize(MAX_BATCH);
        assertThat(operator.buffered()).isEqualTo(1);
        harness.setProcessingTime(1_050 + MAX_DELAY.toMillis());
        assertThat(operator.buffered()).isZero();
        operator.awaitRunningBatch();
        assertThat(outputs()).hasSize(MAX_BATCH + 1);
    }

    @Test
    void aCancelledTimerWhoseCallbackWasAlreadyQueuedDoesNotStartTheNextBatch() throws Exception {
        harness.processElement(new StreamRecord<>(chat("b", "see you soon")));

        // Flink queues a timer's callback in the mailbox when it fires; cancelling it later does not take it back.
        operator.onProcessingTime(1_000 + MAX_DELAY.toMillis() - 30);

        assertThat(operator.buffered()).isEqualTo(1);
        harness.setProcessingTime(1_000 + MAX_DELAY.toMillis());
        assertThat(operator.buffered()).isZero();
    }

    @Test
    void listsTheBestScoresFirstOrEveryScoreInLabelOrder() {
        ClassScores score = new ClassScores(List.of("a", "b", "c", "d"), new float[] {0.1f, 0.4f, 0.2f, 0.3f}, false);
        assertThat(ClassifyOperator.listedScores(score, 2)).containsExactly(entry("b", 0.4f), entry("d", 0.3f));
        assertThat(ClassifyOperator.listedScores(score, 0).keySet()).containsExactly("a", "b", "c", "d");
        assertThat(ClassifyOperator.listedScores(score, 9)).hasSize(4);
    }

    @Test
    void labelsEachKindWithItsTaskAndRoutesToTheTaskTopic() throws Exception {
        harness.processElement(new StreamRecord<>(ticket("t1",
                "I lost my card yesterday, please block it and send me a new one")));
        harness.processElement(new StreamRecord<>(chat("c1",
                "WINNER!! You have won a 1000 cash prize. Call 09061701461 now to claim!")));
        operator.finish();

        ClassifiedEvent ticket = decode(outputs().get(0));
        ClassifiedEvent chat = decode(outputs().get(1));
        assertThat(ticket.getPredictions()).singleElement().satisfies(p -> {
            assertThat(p.getTask()).isEqualTo("routing");
            assertThat(p.getLabel()).isEqualTo("lost_or_stolen_card");
            assertThat(p.getScores()).hasSize(77);
            assertThat(p.getModelName()).isEqualTo("ticket-routing");
        });
        assertThat(chat.getPredictions()).singleElement().satisfies(p -> {
            assertThat(p.getLabel()).isEqualTo("spam");
            assertThat(p.getScores()).containsOnlyKeys("safe", "toxic", "spam");
        });
        assertThat(outputs().get(0).topic).isEqualTo(ticket.getNeedsReview() ? TestConfigs.REVIEW : TestConfigs.ROUTING);
        assertThat(outputs().get(1).topic).isEqualTo(TestConfigs.MODERATION);
        assertThat(ticket.getInferenceMicros()).isPositive();
    }

    @Test
    void aTasksReviewLabelSendsTheEventToReviewWhateverItsScore() throws Exception {
        ClassifierConfig base = TestConfigs.classifierConfig(MAX_BATCH, MAX_DELAY);
        ClassifierConfig config = new ClassifierConfig(
                java.util.List.of(new TaskSpec("moderation", "chat-moderation", TestConfigs.MODERATION, 0f, "spam")),
                base.tasksByKind(), MAX_BATCH, MAX_DELAY, base.batchShape(), null, base.device(), 1, true, 10_000, 0,
                TestConfigs.REVIEW, TestConfigs.DEAD_LETTERS);
        try (var own = new OneInputStreamOperatorTestHarness<TextEvent, OutboundRecord>(new ClassifyOperator(config))) {
            own.open();
            own.processElement(new StreamRecord<>(chat("s", "WINNER!! Call 09061701461 now to claim your prize")));
            own.processElement(new StreamRecord<>(chat("h", "see you at lunch")));
            own.getOneInputOperator().finish();

            List<OutboundRecord> out = own.extractOutputValues();
            assertThat(out).extracting(record -> record.topic)
                    .containsExactly(TestConfigs.REVIEW, TestConfigs.MODERATION);
        }
    }

    @Test
    void sendsUnsurePredictionsToTheReviewTopicOnly() throws Exception {
        // A text unlike anything the routing model knows scores low on all 77 intents.
        harness.processElement(new StreamRecord<>(ticket("t1", "purple elephant sings quietly")));
        operator.finish();

        assertThat(outputs()).singleElement().satisfies(record -> {
            assertThat(record.topic).isEqualTo(TestConfigs.REVIEW);
            assertThat(decode(record).getNeedsReview()).isTrue();
        });
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void withNoDelayTheNextBatchFormsWhileOneRunsAndStartsWhenItEnds() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        ClassifyOperator gated = gatedOperator("overlap", gate, MAX_BATCH);
        try (var own = new OneInputStreamOperatorTestHarness<TextEvent, OutboundRecord>(gated)) {
            own.open();
            own.processElement(new StreamRecord<>(chat("first", "good morning")));
            assertThat(gated.buffered()).as("a lone event starts at once on a free inference thread").isZero();
            own.processElement(new StreamRecord<>(chat("second", "see you at lunch")));
            own.processElement(new StreamRecord<>(chat("third", "thanks a lot")));
            assertThat(gated.buffered()).as("events wait while the first batch runs").isEqualTo(2);
            assertThat(own.extractOutputValues()).isEmpty();

            gate.countDown();
            runNextMail(own);
            runNextMail(own);

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
        try (var own = new OneInputStreamOperatorTestHarness<TextEvent, OutboundRecord>(gated)) {
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
            assertThat(gated.buffered()).isZero();

            gated.finish();

            assertThat(sourceIds(own.extractOutputValues())).containsExactly("a", "b", "c");
            opener.join();
        } finally {
            FaultyClassifiers.GATES.remove("full");
        }
    }

    /** Runs the mail a finished batch posts to the task's mailbox, as the task thread would. */
    private static void runNextMail(OneInputStreamOperatorTestHarness<?, ?> harness) throws Exception {
        harness.getTaskMailbox().take(TaskMailbox.MIN_PRIORITY).run();
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
