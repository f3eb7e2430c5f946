package dev.streamclassifier.job.bench;

import dev.streamclassifier.udf.BatchShape;
import dev.streamclassifier.udf.ExecutionDevice;
import dev.streamclassifier.udf.ModelDirectory;
import dev.streamclassifier.udf.TextClassifier;

import java.util.List;

/**
 * The ceiling: the same classifier on the same texts, batch size and threads, called directly, with no Kafka and no
 * Flink. Tokenization is included, as the pipeline pays for it too.
 */
final class RawBenchmark {
    private RawBenchmark() {}

    /** Texts per second and mean wall time per batch. */
    record Result(double textsPerSecond, double millisPerBatch) {}

    static Result run(String model, List<String> texts, int batch, int threads, BatchShape shape, int window)
            throws Exception {
        try (TextClassifier classifier = TextClassifier.open(ModelDirectory.locate(model, null), threads,
                ExecutionDevice.CPU)) {
            return run(classifier, texts, batch, shape, window);
        }
    }

    /**
     * Feeds {@code texts} in arrival order. With a {@code window} larger than {@code batch}, texts are taken
     * {@code window} at a time and cut into calls of {@code batch} by {@code shape} (e.g. sorted by length), as an
     * operator buffering {@code window} events would.
     */
    static Result run(TextClassifier classifier, List<String> texts, int batch, BatchShape shape, int window)
            throws Exception {
        int step = Math.max(batch, window);
        for (int warmup = 0; warmup < 3; warmup++) {
            classifier.classify(texts.subList(0, Math.min(step, texts.size())), shape);
        }
        long start = System.nanoTime();
        int batches = 0;
        for (int from = 0; from < texts.size(); from += step) {
            classifier.classify(texts.subList(from, Math.min(texts.size(), from + step)), shape);
            batches += (Math.min(texts.size(), from + step) - from + batch - 1) / batch;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Result(texts.size() / seconds, seconds * 1000 / batches);
    }
}
