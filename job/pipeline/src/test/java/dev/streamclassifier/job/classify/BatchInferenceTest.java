package dev.streamclassifier.job.classify;

import dev.streamclassifier.job.TestConfigs;
import dev.streamclassifier.job.event.EventKind;
import dev.streamclassifier.job.event.TextEvent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Each task's model on its members of a batch, and poison texts, on the real classifiers without Flink. */
class BatchInferenceTest {
    private Classifiers classifiers;

    private BatchInference inference(String key) {
        classifiers = Classifiers.open(TestConfigs.tasks().modelNames(), FaultyClassifiers.opener(key),
                TestConfigs.models(), TestConfigs.batch(8, Duration.ZERO).shape());
        return new BatchInference(TestConfigs.tasks(), classifiers);
    }

    @AfterEach
    void close() throws Exception {
        if (classifiers != null) {
            classifiers.close();
        }
        FaultyClassifiers.BROKEN_CALLS.clear();
    }

    private static TextEvent event(EventKind kind, String text) {
        return new TextEvent(kind, "id", text, 1_000, TestConfigs.raw(kind, 0, new byte[0]));
    }

    @Test
    void eachEventGetsTheScoresOfItsKindsTasksInBatchOrder() {
        BatchInference.Result result = inference("members").infer(List.of(
                event(EventKind.CHAT, "WINNER!! You have won a 1000 cash prize. Call 09061701461 now to claim!"),
                event(EventKind.TICKET, "I lost my card yesterday, please block it and send me a new one"),
                event(EventKind.CHAT, "are we still meeting for lunch tomorrow?")));

        assertThat(result.failures()).containsOnlyNulls();
        assertThat(result.perEvent()).extracting(scores -> scores.get(0).task().name())
                .containsExactly("moderation", "routing", "moderation");
        assertThat(result.perEvent()).extracting(scores -> scores.get(0).score().bestLabel())
                .containsExactly("spam", "lost_or_stolen_card", "safe");
        assertThat(result.inferenceMicros()).isPositive();
    }

    @Test
    void aPoisonTextFailsItsOwnEventOnly() {
        BatchInference.Result result = inference("poison").infer(List.of(
                event(EventKind.CHAT, "see you tomorrow"),
                event(EventKind.CHAT, "hello " + FaultyClassifiers.POISON),
                event(EventKind.CHAT, "thanks a lot")));

        assertThat(result.failures()[0]).isNull();
        assertThat(result.failures()[1]).contains("task moderation, model chat-moderation")
                .contains("crashes the model");
        assertThat(result.failures()[2]).isNull();
        assertThat(result.perEvent().get(1)).isEmpty();
        assertThat(result.perEvent().get(2)).hasSize(1);
    }

    @Test
    void aModelThatFailsOnEveryTextFailsTheBatch() {
        FaultyClassifiers.BROKEN_CALLS.put("broken", new AtomicInteger(100));
        BatchInference inference = inference("broken");

        assertThatThrownBy(() -> inference.infer(List.of(event(EventKind.CHAT, "one"), event(EventKind.CHAT, "two"))))
                .hasMessageContaining("failed on every one of 2 texts").hasMessageContaining("chat-moderation");
    }
}
