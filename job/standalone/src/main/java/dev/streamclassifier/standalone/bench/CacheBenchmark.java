package dev.streamclassifier.standalone.bench;

import dev.streamclassifier.job.classify.ResultCache;
import dev.streamclassifier.udf.BatchShape;
import dev.streamclassifier.udf.ClassScores;
import dev.streamclassifier.udf.ExecutionDevice;
import dev.streamclassifier.udf.ModelDirectory;
import dev.streamclassifier.udf.TextClassifier;
import dev.streamclassifier.udf.WindowPolicy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;

/**
 * What the result cache does for a stream in which some texts repeat: the classifier called directly on the same
 * stream in batches, once looking every text up in a {@link ResultCache} first (as the classify operator does) and once
 * not; texts per second of each (median of three passes) and the cache's hit rate.
 */
final class CacheBenchmark {
    private static final int PASSES = 3;

    private CacheBenchmark() {}

    /** @param bytesPerEntry heap a full cache holds per entry, for this model's number of labels */
    record Result(double plainTextsPerSecond, double cachedTextsPerSecond, double hitRate, double duplicateShare,
            double bytesPerEntry) {}

    /**
     * A stream of {@code count} texts in which each text after the first repeats an earlier one with probability
     * {@code share}, and is otherwise the next of the distinct texts in {@code pool}.
     */
    static List<String> withRepeats(List<String> pool, int count, double share, long seed) {
        List<String> distinct = new ArrayList<>(new LinkedHashSet<>(pool));
        Random random = new Random(seed);
        List<String> stream = new ArrayList<>(count);
        int next = 0;
        for (int i = 0; i < count; i++) {
            if (i > 0 && random.nextDouble() < share) {
                stream.add(stream.get(random.nextInt(i)));
            } else {
                stream.add(distinct.get(next++ % distinct.size()));
            }
        }
        return stream;
    }

    /** @param shape and {@code windows}: how the job cuts batches and reads long texts, as configured */
    static Result run(String model, List<String> texts, int batch, int threads, int cacheEntries, BatchShape shape,
            WindowPolicy windows) throws Exception {
        try (TextClassifier classifier = TextClassifier.open(ModelDirectory.locate(model, null), threads,
                ExecutionDevice.CPU)) {
            classifier.classify(texts.subList(0, Math.min(batch, texts.size())), shape, windows);
            double[] plain = new double[PASSES];
            double[] cached = new double[PASSES];
            double hitRate = 0;
            for (int pass = 0; pass < PASSES; pass++) {
                long start = System.nanoTime();
                for (int from = 0; from < texts.size(); from += batch) {
                    classifier.classify(texts.subList(from, Math.min(texts.size(), from + batch)), shape, windows);
                }
                plain[pass] = texts.size() / ((System.nanoTime() - start) / 1e9);
                ResultCache cache = new ResultCache(cacheEntries);
                int hits = 0;
                start = System.nanoTime();
                for (int from = 0; from < texts.size(); from += batch) {
                    hits += cachedBatch(classifier, cache, texts.subList(from, Math.min(texts.size(), from + batch)),
                            shape, windows);
                }
                cached[pass] = texts.size() / ((System.nanoTime() - start) / 1e9);
                hitRate = (double) hits / texts.size();
            }
            Arrays.sort(plain);
            Arrays.sort(cached);
            long repeats = texts.size() - texts.stream().distinct().count();
            ClassScores sample = classifier.classify(texts.subList(0, 1), shape, windows).get(0);
            return new Result(plain[PASSES / 2], cached[PASSES / 2], hitRate, (double) repeats / texts.size(),
                    bytesPerEntry(sample, cacheEntries, windows));
        }
    }

    /**
     * The heap a full cache holds per entry: a cache filled with {@code entries} results shaped like {@code sample}
     * (each with its own probabilities, as the classifier returns them), heap in use compared after a GC.
     */
    private static double bytesPerEntry(ClassScores sample, int entries, WindowPolicy windows) {
        long before = usedHeap();
        ResultCache cache = new ResultCache(entries);
        for (int i = 0; i < entries; i++) {
            cache.put(cache.key("text " + i, windows), new ClassScores(sample.labels(),
                    sample.probabilities().clone(), sample.truncated(), sample.windows()));
        }
        long after = usedHeap();
        return cache.size() == 0 ? 0 : (double) (after - before) / cache.size();
    }

    private static long usedHeap() {
        Runtime runtime = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return runtime.totalMemory() - runtime.freeMemory();
    }

    /** One batch as the operator runs it: look up every text, classify the misses, remember them. */
    private static int cachedBatch(TextClassifier classifier, ResultCache cache, List<String> batch, BatchShape shape,
            WindowPolicy windows) throws Exception {
        Object[] keys = new Object[batch.size()];
        List<String> misses = new ArrayList<>();
        List<Integer> missAt = new ArrayList<>();
        int hits = 0;
        for (int i = 0; i < batch.size(); i++) {
            keys[i] = cache.key(batch.get(i), windows);
            if (cache.get(keys[i]) != null) {
                hits++;
            } else {
                misses.add(batch.get(i));
                missAt.add(i);
            }
        }
        if (!misses.isEmpty()) {
            List<ClassScores> scores = classifier.classify(misses, shape, windows);
            for (int k = 0; k < misses.size(); k++) {
                cache.put(keys[missAt.get(k)], scores.get(k));
            }
        }
        return hits;
    }
}
