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
     * The ceiling: the best of {@code rounds} passes (a pass on a shared 2-core machine can lose a quarter of its speed
     * to a neighbour), with {@code parallelism} callers each owning a classifier, as the job's slots would.
     */
    static Result best(String model, List<String> texts, int batch, int threads, int parallelism, BatchShape shape,
            int rounds) throws Exception {
        Result best = null;
        for (int round = 0; round < rounds; round++) {
            Result result = parallelism == 1 ? run(model, texts, batch, threads, shape, batch)
                    : parallel(model, texts, batch, threads, parallelism, shape);
            if (best == null || result.textsPerSecond() > best.textsPerSecond()) {
                best = result;
            }
        }
        return best;
    }

    private static Result parallel(String model, List<String> texts, int batch, int threads, int parallelism,
            BatchShape shape) throws Exception {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(parallelism);
        try {
            List<java.util.concurrent.Future<Result>> parts = new java.util.ArrayList<>();
            int slice = (texts.size() + parallelism - 1) / parallelism;
            long start = System.nanoTime();
            for (int p = 0; p < parallelism; p++) {
                List<String> part = texts.subList(p * slice, Math.min(texts.size(), (p + 1) * slice));
                parts.add(pool.submit(() -> run(model, part, batch, threads, shape, batch)));
            }
            double millisPerBatch = 0;
            for (java.util.concurrent.Future<Result> part : parts) {
                millisPerBatch += part.get().millisPerBatch() / parallelism;
            }
            // Includes each caller's model loading: a little pessimistic, like the pipeline's own start.
            double seconds = (System.nanoTime() - start) / 1e9;
            return new Result(texts.size() / seconds, millisPerBatch);
        } finally {
            pool.shutdownNow();
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
