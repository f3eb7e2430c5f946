package dev.streamclassifier.job.bench;

import dev.streamclassifier.udf.BatchShape;
import dev.streamclassifier.udf.ExecutionDevice;
import dev.streamclassifier.udf.ModelDirectory;
import dev.streamclassifier.udf.TextClassifier;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

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
        try (TextClassifier classifier = open(model, threads)) {
            return run(classifier, texts, batch, shape, window);
        }
    }

    /**
     * The ceiling: the best of {@code rounds} passes (a pass on a shared 2-core machine can lose a quarter of its speed
     * to a neighbour), with {@code parallelism} callers, as the job's slots would be: each owning a classifier, or all
     * calling one when {@code shared} (the job's {@code classifier.share-session}).
     */
    static Result best(String model, List<String> texts, int batch, int threads, int parallelism, boolean shared,
            BatchShape shape, int rounds) throws Exception {
        Result best = null;
        for (int round = 0; round < rounds; round++) {
            Result result = parallelism == 1 ? run(model, texts, batch, threads, shape, batch)
                    : parallel(model, texts, batch, threads, parallelism, shared, shape);
            if (best == null || result.textsPerSecond() > best.textsPerSecond()) {
                best = result;
            }
        }
        return best;
    }

    private static Result parallel(String model, List<String> texts, int batch, int threads, int parallelism,
            boolean shared, BatchShape shape) throws Exception {
        try (TextClassifier common = shared ? open(model, threads) : null) {
            return parallel(common, model, texts, batch, threads, parallelism, shape);
        }
    }

    private static Result parallel(TextClassifier common, String model, List<String> texts, int batch, int threads,
            int parallelism, BatchShape shape) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(parallelism);
        try {
            List<Future<Result>> parts = new ArrayList<>();
            int slice = (texts.size() + parallelism - 1) / parallelism;
            long start = System.nanoTime();
            for (int p = 0; p < parallelism; p++) {
                List<String> part = texts.subList(Math.min(texts.size(), p * slice),
                        Math.min(texts.size(), (p + 1) * slice));
                if (part.isEmpty()) {
                    continue;
                }
                parts.add(pool.submit(() -> {
                    if (common != null) {
                        return run(common, part, batch, shape, batch);
                    }
                    try (TextClassifier own = open(model, threads)) {
                        return run(own, part, batch, shape, batch);
                    }
                }));
            }
            double millisPerBatch = 0;
            for (Future<Result> part : parts) {
                millisPerBatch += part.get().millisPerBatch() / parts.size();
            }
            // Includes each caller's model loading when not shared: a little pessimistic, like the pipeline's start.
            double seconds = (System.nanoTime() - start) / 1e9;
            return new Result(texts.size() / seconds, millisPerBatch);
        } finally {
            // Every caller must be out of ONNX Runtime before the shared session closes.
            pool.shutdownNow();
            pool.awaitTermination(1, TimeUnit.MINUTES);
        }
    }

    private static TextClassifier open(String model, int threads) throws Exception {
        return TextClassifier.open(ModelDirectory.locate(model, null), threads, ExecutionDevice.CPU);
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
