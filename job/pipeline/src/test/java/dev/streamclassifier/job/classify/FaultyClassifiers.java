package dev.streamclassifier.job.classify;

import dev.streamclassifier.udf.BatchClassifier;
import dev.streamclassifier.udf.ClassScores;
import dev.streamclassifier.udf.ModelManifest;
import dev.streamclassifier.udf.WindowPolicy;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Wraps the real classifiers to inject faults no real input reliably triggers: a text containing {@link #POISON}
 * makes the model throw (as a native fault on one input would); a switch makes every call throw (a broken model); a
 * gate holds every call until it opens (a slow batch, to see what the operator does meanwhile); a delay makes every
 * call slower (so that a batch is nearly always running).
 */
public final class FaultyClassifiers {
    public static final String POISON = "<<poison>>";
    /** Per test key: how many more calls should fail as if the model were broken. */
    public static final Map<String, AtomicInteger> BROKEN_CALLS = new ConcurrentHashMap<>();
    /** Per test key: when set, the next call crashes the task (an Error, as a native crash would surface). */
    public static final Map<String, java.util.concurrent.atomic.AtomicBoolean> CRASH_NEXT_CALL = new ConcurrentHashMap<>();
    /** Per test key: calls wait until this latch opens. */
    public static final Map<String, CountDownLatch> GATES = new ConcurrentHashMap<>();
    /** Per test key: milliseconds every call takes on top of the real model's time. */
    public static final Map<String, Long> EXTRA_MILLIS_PER_CALL = new ConcurrentHashMap<>();

    /** What a crashing native library looks like to Java: not an Exception the operator may handle. */
    public static final class InjectedCrash extends Error {
        private static final long serialVersionUID = 1L;

        InjectedCrash(String message) {
            super(message);
        }
    }

    private FaultyClassifiers() {}

    public static ClassifierOpener opener(String key) {
        return (model, settings, shape) -> new Faulty(ClassifierOpener.MODELS.open(model, settings, shape), key);
    }

    private static final class Faulty implements BatchClassifier {
        private final BatchClassifier real;
        private final String key;

        Faulty(BatchClassifier real, String key) {
            this.real = real;
            this.key = key;
        }

        @Override
        public ModelManifest manifest() {
            return real.manifest();
        }

        @Override
        public List<ClassScores> classify(List<String> texts, WindowPolicy windows) throws Exception {
            CountDownLatch gate = GATES.get(key);
            if (gate != null && !gate.await(1, TimeUnit.MINUTES)) {
                throw new IllegalStateException("the test never opened the gate");
            }
            Long extraMillis = EXTRA_MILLIS_PER_CALL.get(key);
            if (extraMillis != null) {
                Thread.sleep(extraMillis);
            }
            var crash = CRASH_NEXT_CALL.get(key);
            if (crash != null && crash.compareAndSet(true, false)) {
                throw new InjectedCrash("injected: classifier crashed");
            }
            AtomicInteger broken = BROKEN_CALLS.get(key);
            if (broken != null && broken.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new IllegalStateException("injected: model broken");
            }
            if (texts.stream().anyMatch(text -> text.contains(POISON))) {
                throw new IllegalArgumentException("injected: this text crashes the model");
            }
            return real.classify(texts, windows);
        }

        @Override
        public void close() throws Exception {
            real.close();
        }
    }
}
