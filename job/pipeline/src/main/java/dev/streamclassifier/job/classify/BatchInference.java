package dev.streamclassifier.job.classify;

import dev.streamclassifier.job.event.TextEvent;
import dev.streamclassifier.udf.BatchClassifier;
import dev.streamclassifier.udf.ClassScores;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

/**
 * Runs each task's model on the events of a batch that run that task, one model call per task. A text that makes the
 * model throw is retried alone and, if it fails again, fails that event only; when every text of a call fails, the
 * model or the runtime is broken, not the input, and the batch fails. Runs on the inference thread and touches nothing
 * but the classifiers.
 */
final class BatchInference {
    private static final Logger LOG = LoggerFactory.getLogger(BatchInference.class);

    private final TaskPlan plan;
    private final Classifiers classifiers;

    BatchInference(TaskPlan plan, Classifiers classifiers) {
        this.plan = plan;
        this.classifiers = classifiers;
    }

    /** A task's scores for one event. */
    record TaskScore(TaskSpec task, ClassScores score) {}

    /**
     * What inference made of a batch: per event, its tasks' scores in task order, or the reason it failed (null where
     * it did not), and the time spent in model calls.
     */
    record Result(List<List<TaskScore>> perEvent, String[] failures, long inferenceMicros) {}

    /** @throws IllegalStateException when a model failed on every text of a call (a broken model) */
    Result infer(List<TextEvent> batch) {
        int size = batch.size();
        List<List<TaskScore>> perEvent = new ArrayList<>(size);
        String[] failures = new String[size];
        for (int i = 0; i < size; i++) {
            perEvent.add(new ArrayList<>(2));
        }
        long inferenceNanos = 0;
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
            long start = System.nanoTime();
            List<ClassScores> scores = classifyIsolatingFailures(task, batch, members, failures);
            inferenceNanos += System.nanoTime() - start;
            for (int m = 0; m < members.size(); m++) {
                if (scores.get(m) != null) {
                    perEvent.get(members.get(m)).add(new TaskScore(task, scores.get(m)));
                }
            }
        }
        return new Result(perEvent, failures, inferenceNanos / 1000);
    }

    /**
     * Classifies the members' texts as one call; if that throws, classifies each text alone. Returns one entry per
     * member, null where the text failed (its reason set in {@code failures}).
     */
    private List<ClassScores> classifyIsolatingFailures(TaskSpec task, List<TextEvent> batch, List<Integer> members,
            String[] failures) {
        BatchClassifier classifier = classifiers.get(task.modelName());
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
