package dev.streamclassifier.job.classify;

import dev.streamclassifier.job.classify.Labeller.Labelled;
import dev.streamclassifier.schemas.Prediction;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;

/**
 * The classify operator's metrics, registered once when it opens. Their names are what deploy/grafana's dashboard and
 * the Prometheus test query.
 */
final class ClassifyMetrics {
    private static final int HISTOGRAM_WINDOW = 1000;

    private final Counter recordsIn;
    private final Counter recordsOut;
    private final Counter deadLetters;
    private final Counter needsReview;
    private final Counter truncated;
    private final Counter piiMasked;
    private final Histogram batchSize;
    private final Histogram inferenceMicros;
    private final Histogram endToEndMillis;
    private final Counter cacheHits;
    private final Counter cacheMisses;
    private final Counter versionsActivated;
    private final Counter versionsRejected;
    private final Counter shadowFailures;
    private final Counter shadowCompared;
    private final Counter shadowAgreed;
    private final Histogram shadowMicros;
    private final MetricGroup shadow;
    private final MetricGroup models;
    /** Model → version → role → 1 while that version has that role: Prometheus shows the version as a label. */
    private final Map<String, AtomicInteger> versionRoles = new HashMap<>();
    private volatile long switchPauseMicros;
    /** Model → active label → [compared, agreed] counters of its shadow run. */
    private final Map<String, Map<String, Counter[]>> shadowCounters = new HashMap<>();
    private final MetricGroup labels;
    /** Task → label → counter: looked up per prediction, so no metric name is built per record. */
    private final Map<String, Map<String, Counter>> labelCounters = new HashMap<>();

    /** @param buffered how many events wait for the next batch (a slot whose inference cannot keep up shows it here) */
    ClassifyMetrics(MetricGroup group, IntSupplier buffered) {
        recordsIn = group.counter("classifierRecordsIn");
        recordsOut = group.counter("classifierRecordsOut");
        deadLetters = group.counter("deadLetters");
        needsReview = group.counter("needsReview");
        truncated = group.counter("truncatedInputs");
        piiMasked = group.counter("piiMasked");
        batchSize = group.histogram("batchSize", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        inferenceMicros = group.histogram("inferenceMicros", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        endToEndMillis = group.histogram("endToEndLatencyMs", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        group.gauge("bufferedEvents", (Gauge<Integer>) buffered::getAsInt);
        labels = group.addGroup("labels");
        cacheHits = group.counter("cacheHits");
        cacheMisses = group.counter("cacheMisses");
        versionsActivated = group.counter("modelVersionsActivated");
        versionsRejected = group.counter("modelVersionsRejected");
        shadowFailures = group.counter("shadowFailures");
        shadowCompared = group.counter("shadowCompared");
        shadowAgreed = group.counter("shadowAgreed");
        shadowMicros = group.histogram("shadowInferenceMicros", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        group.gauge("modelSwitchPauseMicros", (Gauge<Long>) () -> switchPauseMicros);
        shadow = group.addGroup("shadow");
        models = group.addGroup("models");
    }

    void cache(int lookups, int hits) {
        cacheHits.inc(hits);
        cacheMisses.inc(lookups - hits);
    }

    /** How long the task thread paused between two batches to apply model updates. */
    void switchPause(long micros) {
        switchPauseMicros = micros;
    }

    void versionActivated() {
        versionsActivated.inc();
    }

    void versionRejected() {
        versionsRejected.inc();
    }

    /** Marks {@code version} of {@code model} as having {@code role} (active or shadow), or no longer. */
    void modelVersion(String model, String version, String role, boolean on) {
        versionRoles.computeIfAbsent(model + "\n" + version + "\n" + role, key -> {
            AtomicInteger value = new AtomicInteger();
            models.addGroup("model", model).addGroup("version", version).addGroup("role", role)
                    .gauge("modelVersion", (Gauge<Integer>) value::get);
            return value;
        }).set(on ? 1 : 0);
    }

    /** A batch's shadow comparisons: per model and active label, how many were compared and agreed. */
    void shadow(List<BatchInference.ShadowComparison> comparisons, long micros, int failures) {
        shadowFailures.inc(failures);
        if (comparisons.isEmpty()) {
            return;
        }
        shadowMicros.update(micros);
        for (BatchInference.ShadowComparison comparison : comparisons) {
            Counter[] counters = shadowCounters.computeIfAbsent(comparison.model(), m -> new HashMap<>())
                    .computeIfAbsent(comparison.activeLabel(), label -> {
                        MetricGroup byLabel = shadow.addGroup("model", comparison.model()).addGroup("label", label);
                        return new Counter[] {byLabel.counter("compared"), byLabel.counter("agreed")};
                    });
            counters[0].inc();
            shadowCompared.inc();
            if (comparison.agreed()) {
                counters[1].inc();
                shadowAgreed.inc();
            }
        }
    }

    void eventIn() {
        recordsIn.inc();
    }

    void batch(int size, long micros) {
        batchSize.update(size);
        inferenceMicros.update(micros);
    }

    void deadLetter() {
        deadLetters.inc();
    }

    /** @param endToEndMillis from the event's own time to its labelling */
    void labelled(Labelled labelled, long endToEndMillis) {
        for (Prediction prediction : labelled.predictions()) {
            label(prediction.getTask(), prediction.getLabel()).inc();
        }
        if (labelled.needsReview()) {
            needsReview.inc();
        }
        if (labelled.truncated()) {
            truncated.inc();
        }
        piiMasked.inc(labelled.piiMasked());
        this.endToEndMillis.update(Math.max(0, endToEndMillis));
        recordsOut.inc(labelled.records().size());
    }

    private Counter label(String task, String label) {
        return labelCounters.computeIfAbsent(task, t -> new HashMap<>())
                .computeIfAbsent(label, l -> labels.addGroup("task", task).addGroup("label", label).counter("count"));
    }
}
