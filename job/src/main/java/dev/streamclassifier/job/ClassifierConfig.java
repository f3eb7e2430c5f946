package dev.streamclassifier.job;

import dev.streamclassifier.udf.BatchShape;
import dev.streamclassifier.udf.ExecutionDevice;

import java.io.Serializable;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the classify operator needs, serializable so it travels with the job graph; the classifiers themselves are
 * opened on the task manager, in {@code open()}.
 *
 * @param tasks every task the job runs
 * @param tasksByKind task names per event kind, in the order their predictions are listed
 * @param batchShape how a batch is cut into model calls (sorted by length into micro-batches, by default)
 * @param modelsDir a directory of classifiers, or null for the ones bundled in the jar
 * @param intraOpThreads ONNX Runtime threads per classifier
 * @param includeText whether labelled events carry the classified text
 * @param maxOutputTextChars longer texts are cut to this many characters in labelled events
 * @param topScores how many of the best classes' scores each prediction lists; 0 lists every class
 */
public record ClassifierConfig(
        List<TaskSpec> tasks,
        Map<EventKind, List<String>> tasksByKind,
        int maxBatchSize,
        Duration maxBatchDelay,
        BatchShape batchShape,
        String modelsDir,
        ExecutionDevice device,
        int intraOpThreads,
        boolean includeText,
        int maxOutputTextChars,
        int topScores,
        String reviewTopic,
        String deadLetterTopic) implements Serializable {

    /** The models the tasks use, each once. */
    public Set<String> modelNames() {
        Set<String> names = new LinkedHashSet<>();
        tasks.forEach(task -> names.add(task.modelName()));
        return names;
    }
}
