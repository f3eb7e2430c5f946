package dev.streamclassifier.standalone.bench;

import dev.streamclassifier.udf.BatchShape;
import dev.streamclassifier.udf.Closeables;
import dev.streamclassifier.udf.ExecutionDevice;
import dev.streamclassifier.udf.ModelDirectory;
import dev.streamclassifier.udf.TextClassifier;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
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

    /**
     * The ceiling: the best of {@code rounds} passes (a pass on a shared 2-core machine can lose a quarter of its speed
     * to a neighbour), with {@code parallelism} callers, as the job's slots would be: each owning a classifier, or all
     * calling one when {@code shared} (the job's {@code classifier.share-session}).
     */
    static Result best(String model, List<String> texts, int batch, int threads, int parallelism, boolean shared,
            BatchShape shape, int rounds) throws Exception {
        Result best = null;
        for (int round = 0; round < rounds; round++) {
            Result result = pass(model, texts, batch, threads, parallelism, shared, shape);
            if (best == null || result.textsPerSecond() > best.textsPerSecond()) {
                best = result;
            }
        }
        return best;
    }

    /**
     * One pass over the texts, cut into {@code parallelism} slices, each fed by a caller thread of its own (see
     * {@link #best}). Only the calls are timed: the classifiers are opened and each caller has warmed up before the
     * clock starts: timing the warm-up as well would lower the ceiling, and with it flatter the pipeline's ratio.
     */
    private static Result pass(String model, List<String> texts, int batch, int threads, int parallelism,
            boolean shared, BatchShape shape) throws Exception {
        List<TextClassifier> opened = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(parallelism);
        try {
            int slice = (texts.size() + parallelism - 1) / parallelism;
            List<Callable<Void>> warmUps = new ArrayList<>();
            List<Callable<Result>> calls = new ArrayList<>();
            for (int p = 0; p < parallelism && p * slice < texts.size(); p++) {
                List<String> part = texts.subList(p * slice, Math.min(texts.size(), (p + 1) * slice));
                if (!shared || opened.isEmpty()) {
                    opened.add(open(model, threads));
                }
                TextClassifier classifier = opened.get(opened.size() - 1);
                warmUps.add(() -> {
                    warmUp(classifier, part, batch, shape, batch);
                    return null;
                });
                calls.add(() -> timed(classifier, part, batch, shape, batch));
            }
            for (Future<Void> warmUp : pool.invokeAll(warmUps)) {
                warmUp.get();
            }
            long start = System.nanoTime();
            List<Future<Result>> parts = pool.invokeAll(calls);
            double seconds = (System.nanoTime() - start) / 1e9;
            double millisPerBatch = 0;
            for (Future<Result> part : parts) {
                millisPerBatch += part.get().millisPerBatch() / parts.size();
            }
            return new Result(texts.size() / seconds, millisPerBatch);
        } finally {
            // Every caller must be out of ONNX Runtime before a session closes.
            pool.shutdownNow();
            pool.awaitTermination(1, TimeUnit.MINUTES);
            Closeables.closeAll(opened.toArray(AutoCloseable[]::new));
        }
    }

    private static TextClassifier open(String model, int threads) throws Exception {
        return TextClassifier.open(ModelDirectory.locate(model, null), threads, ExecutionDevice.CPU);
    }

    /**
     * Feeds {@code texts} in arrival order, after a warm-up. With a {@code window} larger than {@code batch}, texts
     * are taken {@code window} at a time and cut into calls of {@code batch} by {@code shape} (e.g. sorted by length),
     * as an operator buffering {@code window} events would.
     */
    static Result run(TextClassifier classifier, List<String> texts, int batch, BatchShape shape, int window)
            throws Exception {
        warmUp(classifier, texts, batch, shape, window);
        return timed(classifier, texts, batch, shape, window);
    }

    private static void warmUp(TextClassifier classifier, List<String> texts, int batch, BatchShape shape, int window)
            throws Exception {
        int step = Math.max(batch, window);
        for (int warmup = 0; warmup < 3; warmup++) {
            classifier.classify(texts.subList(0, Math.min(step, texts.size())), shape);
        }
    }

    private static Result timed(TextClassifier classifier, List<String> texts, int batch, BatchShape shape, int window)
            throws Exception {
        int step = Math.max(batch, window);
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
