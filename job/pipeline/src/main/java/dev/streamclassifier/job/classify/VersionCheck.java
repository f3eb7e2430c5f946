package dev.streamclassifier.job.classify;

import dev.streamclassifier.udf.BatchClassifier;
import dev.streamclassifier.udf.ClassScores;
import dev.streamclassifier.udf.ModelManifest;
import dev.streamclassifier.udf.TextClassifier;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What a model version must pass before it serves: its manifest names the model, its labels are the active version's
 * (unless the update allows a change) and include every label a task names, it classifies a smoke batch into finite
 * probabilities (summing to 1 unless the model is multi-label), and it is not much slower on that batch than the active version was.
 */
final class VersionCheck {
    private static final int TIMED_RUNS = 3;
    /** Below this, timing differences are noise on a shared machine. */
    private static final long SLACK_MICROS = 2_000;

    private VersionCheck() {}

    /** Median smoke-batch times of the active version and of the candidate, in microseconds. */
    record Timing(long activeMicros, long candidateMicros) {}

    /**
     * Runs the smoke batch with every task's way of reading long texts on the active version and on the candidate in
     * turn, three times each, so that both are timed under the same load.
     *
     * @throws IllegalArgumentException if the candidate's scores are not probabilities over its manifest's labels
     */
    static Timing smoke(String model, BatchClassifier active, BatchClassifier candidate, TaskPlan plan)
            throws Exception {
        List<TaskSpec> tasks = plan.tasks().stream().filter(task -> task.modelName().equals(model)).toList();
        long[] activeMicros = new long[TIMED_RUNS];
        long[] candidateMicros = new long[TIMED_RUNS];
        for (int run = 0; run < TIMED_RUNS; run++) {
            activeMicros[run] = time(active, tasks, null);
            candidateMicros[run] = time(candidate, tasks, run == 0 ? candidate.manifest() : null);
        }
        Arrays.sort(activeMicros);
        Arrays.sort(candidateMicros);
        return new Timing(activeMicros[TIMED_RUNS / 2], candidateMicros[TIMED_RUNS / 2]);
    }

    /** One smoke run over the tasks, in microseconds; checks the scores against {@code manifest} if given. */
    private static long time(BatchClassifier classifier, List<TaskSpec> tasks, ModelManifest manifest)
            throws Exception {
        long start = System.nanoTime();
        for (TaskSpec task : tasks) {
            List<ClassScores> scores = classifier.classify(TextClassifier.SMOKE_TEXTS, task.windows());
            if (manifest != null) {
                checkScores(manifest, scores);
            }
        }
        return (System.nanoTime() - start) / 1000;
    }

    private static void checkScores(ModelManifest manifest, List<ClassScores> scores) {
        if (scores.size() != TextClassifier.SMOKE_TEXTS.size()) {
            throw new IllegalArgumentException("the smoke batch of " + TextClassifier.SMOKE_TEXTS.size() + " texts gave "
                    + scores.size() + " results");
        }
        String problem = manifest.scoreProblem(scores);
        if (problem != null) {
            throw new IllegalArgumentException("on the smoke batch " + problem);
        }
    }

    /**
     * The reasons to reject {@code candidate} as the next version of {@code model}; none if it may serve.
     *
     * @param activeLabels the labels of the version serving now
     * @param candidateMicros and {@code referenceMicros}: the candidate's and the active version's smoke batch times,
     *     measured in turn
     */
    static List<String> problems(String model, ModelManifest candidate, List<String> activeLabels,
            boolean allowLabelChange, TaskPlan plan, long candidateMicros, long referenceMicros,
            double maxLatencyRatio) {
        List<String> problems = new ArrayList<>();
        if (!model.equals(candidate.name)) {
            problems.add("its manifest names model '" + candidate.name + "', not '" + model + "'");
        }
        Set<String> added = new HashSet<>(candidate.labels);
        added.removeAll(activeLabels);
        Set<String> removed = new HashSet<>(activeLabels);
        removed.removeAll(candidate.labels);
        if (!allowLabelChange && (!added.isEmpty() || !removed.isEmpty())) {
            problems.add("its labels differ from the active version's (added " + added + ", removed " + removed
                    + "); publish the update with allowLabelChange if the tasks' consumers are ready for them");
        }
        problems.addAll(ModelCheck.labelProblems(plan, model, candidate.labels));
        if (referenceMicros > 0 && candidateMicros > maxLatencyRatio * referenceMicros + SLACK_MICROS) {
            problems.add(String.format(Locale.ROOT, "it took %.1f ms on the smoke batch, over %.1f times the active version's "
                    + "%.1f ms (model-updates.max-latency-ratio)", candidateMicros / 1000.0, maxLatencyRatio,
                    referenceMicros / 1000.0));
        }
        return problems;
    }
}
