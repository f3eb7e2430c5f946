package dev.streamclassifier.job.classify;

import dev.streamclassifier.job.classify.Labeller.Labelled;
import dev.streamclassifier.schemas.Prediction;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

import java.util.HashMap;
import java.util.Map;
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
