package dev.streamclassifier.job.classify;

import dev.streamclassifier.job.event.TextEvent;
import dev.streamclassifier.udf.BatchClassifier;
import dev.streamclassifier.udf.ClassScores;
import dev.streamclassifier.udf.ModelManifest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

/**
 * Runs each task's model on the events of a batch that run that task, one model call per task, after looking each text
 * up in the model version's result cache. A text that makes the model throw is retried alone and, if it fails again,
 * fails that event only; when every text of a call fails, the model or the runtime is broken, not the input, and the
 * batch fails. A model's shadow version, if any, classifies its share of the events too, only to be compared. Runs on
 * the inference thread and touches nothing but the classifiers.
 */
final class BatchInference {
    private static final Logger LOG = LoggerFactory.getLogger(BatchInference.class);

    private final TaskPlan plan;
    private final Classifiers classifiers;

    BatchInference(TaskPlan plan, Classifiers classifiers) {
        this.plan = plan;
        this.classifiers = classifiers;
    }

    /** A task's scores for one event, and the manifest of the model version that gave them. */
    record TaskScore(TaskSpec task, ClassScores score, ModelManifest manifest) {}

    /** One event classified by a model's active and shadow versions: the active label, and whether they agreed. */
    record ShadowComparison(String model, String version, String activeLabel, boolean agreed) {}

    /**
     * What inference made of a batch: per event, its tasks' scores in task order, or the reason it failed (null where
     * it did not); the time spent in model calls; cache lookups and hits; and the shadow versions' comparisons, time
     * and failures.
     */
    record Result(List<List<TaskScore>> perEvent, String[] failures, long inferenceMicros, int cacheLookups,
            int cacheHits, List<ShadowComparison> shadow, long shadowMicros, int shadowFailures) {}

    /** @throws IllegalStateException when a model failed on every text of a call (a broken model) */
    Result infer(List<TextEvent> batch) {
        int size = batch.size();
        List<List<TaskScore>> perEvent = new ArrayList<>(size);
        String[] failures = new String[size];
        for (int i = 0; i < size; i++) {
            perEvent.add(new ArrayList<>(2));
        }
        long inferenceNanos = 0;
        long shadowNanos = 0;
        int lookups = 0;
        int hits = 0;
        int shadowFailures = 0;
        List<ShadowComparison> comparisons = new ArrayList<>();
        for (TaskSpec task : plan.tasks()) {
            List<Integer> members = new ArrayList<>();
            for (int i = 0; i < size; i++) {
                if (failures[i] == null && plan.runs(batch.get(i).kind, task)) {
                    members.add(i);
                }
            }
            if (members.isEmpty()) {
                continue;
            }
            BatchClassifier classifier = classifiers.get(task.modelName());
            ModelManifest manifest = classifier.manifest();
            ResultCache cache = classifiers.cache(task.modelName());
            ClassScores[] scores = new ClassScores[members.size()];
            Object[] keys = new Object[members.size()];
            List<Integer> misses = new ArrayList<>(members.size());
            for (int m = 0; m < members.size(); m++) {
                if (cache != null) {
                    lookups++;
                    keys[m] = cache.key(batch.get(members.get(m)).text, task.windows());
                    scores[m] = cache.get(keys[m]);
                }
                if (scores[m] == null) {
                    misses.add(m);
                } else {
                    hits++;
                }
            }
            if (!misses.isEmpty()) {
                List<Integer> missed = misses.stream().map(members::get).toList();
                long start = System.nanoTime();
                List<ClassScores> classified = classifyIsolatingFailures(classifier, task, batch, missed, failures);
                inferenceNanos += System.nanoTime() - start;
                for (int k = 0; k < misses.size(); k++) {
                    scores[misses.get(k)] = classified.get(k);
                    if (cache != null && classified.get(k) != null) {
                        cache.put(keys[misses.get(k)], classified.get(k));
                    }
                }
            }
            for (int m = 0; m < members.size(); m++) {
                if (scores[m] != null) {
                    perEvent.get(members.get(m)).add(new TaskScore(task, scores[m], manifest));
                }
            }
            Classifiers.Shadow shadow = classifiers.shadow(task.modelName());
            if (shadow != null) {
                long start = System.nanoTime();
                shadowFailures += compare(shadow, task, batch, members, scores, comparisons);
                shadowNanos += System.nanoTime() - start;
            }
        }
        return new Result(perEvent, failures, inferenceNanos / 1000, lookups, hits, comparisons, shadowNanos / 1000,
                shadowFailures);
    }

    /**
     * Classifies the shadow's share of the members with the shadow version and records whether it agrees with the
     * active one; a shadow that fails is counted and changes nothing else. Returns 1 if it failed, else 0.
     */
    private static int compare(Classifiers.Shadow shadow, TaskSpec task, List<TextEvent> batch, List<Integer> members,
            ClassScores[] active, List<ShadowComparison> comparisons) {
        List<String> texts = new ArrayList<>();
        List<Integer> chosen = new ArrayList<>();
        for (int m = 0; m < members.size(); m++) {
            if (active[m] != null && inShare(batch.get(members.get(m)).id, shadow.share())) {
                chosen.add(m);
                texts.add(batch.get(members.get(m)).text);
            }
        }
        if (texts.isEmpty()) {
            return 0;
        }
        try {
            List<ClassScores> scores = shadow.version().classifier().classify(texts, task.windows());
            for (int k = 0; k < chosen.size(); k++) {
                String label = active[chosen.get(k)].bestLabel();
                comparisons.add(new ShadowComparison(task.modelName(), shadow.version().name(), label,
                        label.equals(scores.get(k).bestLabel())));
            }
            return 0;
        } catch (Exception e) {
            LOG.warn("Shadow version {} of {} failed on a batch of {}: {}", shadow.version().name(),
                    task.modelName(), texts.size(), e.toString());
            return 1;
        }
    }

    /** The same events every time, so a shadow's figures are reproducible. */
    static boolean inShare(String id, double share) {
        return share >= 1 || (id != null && Math.floorMod(id.hashCode(), 10_000) < share * 10_000);
    }

    /**
     * Classifies the members' texts as one call; if that throws, classifies each text alone. Returns one entry per
     * member, null where the text failed (its reason set in {@code failures}).
     */
    private static List<ClassScores> classifyIsolatingFailures(BatchClassifier classifier, TaskSpec task,
            List<TextEvent> batch, List<Integer> members, String[] failures) {
        List<String> texts = new ArrayList<>(members.size());
        for (int i : members) {
            texts.add(batch.get(i).text);
        }
        try {
            return classifier.classify(texts, task.windows());
        } catch (Exception batchFailure) {
            LOG.warn("Classifier {} failed on a batch of {} ({}); retrying each text alone", task.modelName(),
                    texts.size(), batchFailure.getMessage());
            List<ClassScores> scores = new ArrayList<>(members.size());
            int failed = 0;
            for (int m = 0; m < members.size(); m++) {
                try {
                    scores.add(classifier.classify(List.of(texts.get(m)), task.windows()).get(0));
                } catch (Exception textFailure) {
                    failed++;
                    scores.add(null);
                    failures[members.get(m)] = "task " + task.name() + ", model " + task.modelName() + ": "
                            + textFailure;
                }
            }
            if (failed == members.size() && members.size() > 1) {
                throw new IllegalStateException("Classifier " + task.modelName() + " failed on every one of "
                        + members.size() + " texts: the model or runtime is broken, not the input", batchFailure);
            }
            return scores;
        }
    }
}
