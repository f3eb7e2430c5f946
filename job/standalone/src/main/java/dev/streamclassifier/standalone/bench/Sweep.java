package dev.streamclassifier.standalone.bench;

import dev.streamclassifier.udf.BatchShape;
import dev.streamclassifier.udf.ExecutionDevice;
import dev.streamclassifier.udf.ModelDirectory;
import dev.streamclassifier.udf.TextClassifier;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Raw throughput against batch size for each way of shaping a batch: the plot of the report. */
final class Sweep {
    static final int[] BATCH_SIZES = {1, 4, 8, 16, 32, 64};
    /** Texts per model call tried for one batch, cut as the job's operator cuts it (sorted within the batch). */
    static final int[] MICRO_BATCH_SIZES = {1, 2, 4, 8, 16, 32};
    /** Passes over the micro-batch sizes in turn, so that a host whose speed drifts favours none of them. */
    static final int MICRO_ROUNDS = 2;
    /** Texts each sweep point runs over: enough for a stable rate, few enough for the fixed-padding shape. */
    static final int SAMPLE_TEXTS = 2000;
    /** Sorted micro-batches come from a buffer this many times the batch size. */
    static final int SORT_WINDOW = 4;

    private Sweep() {}

    /** Per shape name, texts/s at each of {@link #BATCH_SIZES}. */
    static Map<String, double[]> run(String model, List<String> texts, int threads) throws Exception {
        Map<String, double[]> results = new LinkedHashMap<>();
        List<String> sample = sample(texts);
        try (TextClassifier classifier = TextClassifier.open(ModelDirectory.locate(model, null), threads,
                ExecutionDevice.CPU)) {
            double[] longest = new double[BATCH_SIZES.length];
            double[] sorted = new double[BATCH_SIZES.length];
            for (int i = 0; i < BATCH_SIZES.length; i++) {
                int b = BATCH_SIZES[i];
                longest[i] = RawBenchmark.run(classifier, sample, b, BatchShape.ONE_BATCH, b).textsPerSecond();
                sorted[i] = RawBenchmark.run(classifier, sample, b, new BatchShape(true, b), b * SORT_WINDOW)
                        .textsPerSecond();
                System.err.printf(Locale.ROOT, "sweep: batch %d: longest %.0f, sorted %.0f texts/s%n", b,
                        longest[i], sorted[i]);
            }
            results.put("pad to longest in batch", longest);
            results.put("sorted by length (buffer of 4 batches)", sorted);
        }
        return results;
    }

    /**
     * Texts/s at each of {@link #MICRO_BATCH_SIZES} for batches of {@code batch}, each sorted by length and cut into
     * calls of that many texts (the job's {@code classifier.batch.micro-size}), with the raw run's callers and
     * threads; the best of {@link #MICRO_ROUNDS} passes, taken in turn over the sizes.
     */
    static double[] microBatches(String model, List<String> texts, int batch, int threads, int parallelism,
            boolean shared) throws Exception {
        List<String> sample = sample(texts);
        double[] best = new double[MICRO_BATCH_SIZES.length];
        for (int round = 0; round < MICRO_ROUNDS; round++) {
            for (int i = 0; i < MICRO_BATCH_SIZES.length; i++) {
                int micro = MICRO_BATCH_SIZES[i];
                double textsPerSecond = RawBenchmark.best(model, sample, batch, threads, parallelism, shared,
                        new BatchShape(true, micro), 1).textsPerSecond();
                best[i] = Math.max(best[i], textsPerSecond);
                System.err.printf(Locale.ROOT, "sweep: batch %d in calls of %d, %d caller(s): %.0f texts/s%n", batch,
                        micro, parallelism, textsPerSecond);
            }
        }
        return best;
    }

    private static List<String> sample(List<String> texts) {
        return texts.subList(0, Math.min(texts.size(), SAMPLE_TEXTS));
    }
}
