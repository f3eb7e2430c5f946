package dev.streamclassifier.job.classify;

import dev.streamclassifier.job.event.EventKind;
import dev.streamclassifier.testkit.SampleEvents;
import dev.streamclassifier.udf.BatchShape;
import dev.streamclassifier.udf.ClassScores;
import dev.streamclassifier.udf.ExecutionDevice;
import dev.streamclassifier.udf.ModelDirectory;
import dev.streamclassifier.udf.TextClassifier;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Sorting a batch by length into micro-batches changes the cost, not the answers or their order. */
class BatchShapeTest {

    @Test
    void sortedMicroBatchesKeepInputOrderAndLabels() throws Exception {
        List<String> texts = new SampleEvents(4).texts(EventKind.CHAT.sourceKind(), 24);
        try (TextClassifier classifier = TextClassifier.open(ModelDirectory.locate("chat-moderation", null), 1,
                ExecutionDevice.CPU)) {
            List<ClassScores> sorted = classifier.classify(texts, new BatchShape(true, 4));
            List<ClassScores> alone = texts.stream().map(text -> {
                try {
                    return classifier.classify(List.of(text)).get(0);
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            }).toList();

            assertThat(sorted).hasSize(texts.size());
            int agreeing = 0;
            for (int i = 0; i < texts.size(); i++) {
                agreeing += sorted.get(i).bestLabel().equals(alone.get(i).bestLabel()) ? 1 : 0;
                // Same text, same place: the sorted run's scores belong to this text, not a neighbour's.
                assertThat(sorted.get(i).probabilities()[sorted.get(i).bestIndex()])
                        .isCloseTo(alone.get(i).probabilities()[sorted.get(i).bestIndex()],
                                org.assertj.core.data.Offset.offset(0.25f));
            }
            // int8 activations are quantized per call, so a few borderline texts may flip; most must not.
            assertThat(agreeing).isGreaterThanOrEqualTo(texts.size() - 3);
        }
    }
}
