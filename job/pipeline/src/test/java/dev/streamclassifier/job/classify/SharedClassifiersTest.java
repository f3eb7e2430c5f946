package dev.streamclassifier.job.classify;

import dev.streamclassifier.job.TestConfigs;
import dev.streamclassifier.job.event.EventKind;
import dev.streamclassifier.testkit.SampleEvents;
import dev.streamclassifier.udf.BatchClassifier;
import dev.streamclassifier.udf.BatchShape;
import dev.streamclassifier.udf.WindowPolicy;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** Slots sharing one real classifier: opened once, usable concurrently, closed when the last slot lets go. */
class SharedClassifiersTest {

    @Test
    void twoSlotsShareOneClassifierAndTheLastCloseClosesIt() throws Exception {
        ModelSettings models = TestConfigs.models();
        BatchShape shape = TestConfigs.batch(8, Duration.ofMillis(50)).shape();
        AtomicInteger opened = new AtomicInteger();
        AtomicInteger closed = new AtomicInteger();
        ClassifierOpener counting = (model, settings, batchShape) -> {
            opened.incrementAndGet();
            BatchClassifier real = ClassifierOpener.MODELS.open(model, settings, batchShape);
            return new BatchClassifier() {
                @Override
                public dev.streamclassifier.udf.ModelManifest manifest() {
                    return real.manifest();
                }

                @Override
                public List<dev.streamclassifier.udf.ClassScores> classify(List<String> texts,
                        WindowPolicy windows) throws Exception {
                    return real.classify(texts, windows);
                }

                @Override
                public void close() throws Exception {
                    closed.incrementAndGet();
                    real.close();
                }
            };
        };
        ClassifierOpener shared = SharedClassifiers.sharing(counting);

        BatchClassifier first = shared.open("chat-moderation", models, shape);
        BatchClassifier second = shared.open("chat-moderation", models, shape);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<String> texts = new SampleEvents(3).texts(EventKind.CHAT.sourceKind(), 16);
            List<String> alone = first.classify(texts).stream().map(s -> s.bestLabel()).toList();
            Callable<List<String>> one = () -> first.classify(texts).stream().map(s -> s.bestLabel()).toList();
            Callable<List<String>> two = () -> second.classify(texts).stream().map(s -> s.bestLabel()).toList();
            for (int round = 0; round < 5; round++) {
                Future<List<String>> a = pool.submit(one);
                Future<List<String>> b = pool.submit(two);
                assertThat(a.get()).isEqualTo(alone);
                assertThat(b.get()).isEqualTo(alone);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(opened).hasValue(1);

        first.close();
        first.close();
        assertThat(closed).hasValue(0);
        second.close();
        assertThat(closed).hasValue(1);
        try (BatchClassifier reopened = shared.open("chat-moderation", models, shape)) {
            assertThat(opened).as("the last close let go of it: the next slot opens it anew").hasValue(2);
        }
    }
}
