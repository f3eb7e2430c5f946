package dev.streamclassifier.job.classify;

import dev.streamclassifier.udf.BatchClassifier;
import dev.streamclassifier.udf.ModelDirectory;
import dev.streamclassifier.udf.ModelManifest;
import dev.streamclassifier.udf.TextClassifier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

/**
 * Opens every configured classifier once before the job is submitted, so a missing or corrupt model, a checksum
 * mismatch or a label list that does not fit the model fails at start-up with a message, not in every task slot.
 */
public final class ModelCheck {
    private static final Logger LOG = LoggerFactory.getLogger(ModelCheck.class);

    private ModelCheck() {}

    /** @throws IllegalArgumentException naming each model that cannot be used and why */
    public static void check(ClassifySettings settings) {
        List<String> problems = new ArrayList<>();
        for (String model : settings.tasks().modelNames()) {
            try (TextClassifier classifier = TextClassifier.open(
                    ModelDirectory.locate(model, settings.models().modelsDir()), 1, settings.models().device())) {
                problems.addAll(labelProblems(settings.tasks(), model, classifier.manifest().labels));
                // A model whose output is not probabilities (raw logits, say) would route on meaningless scores.
                String scores = classifier.manifest().scoreProblem(classifier.classify(TextClassifier.SMOKE_TEXTS));
                if (scores != null) {
                    problems.add("model '" + model + "': on a smoke text " + scores);
                }
                LOG.info("Model check passed: {}", classifier.manifest());
            } catch (Exception e) {
                problems.add("model '" + model + "': " + e.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("Cannot start: \n  - " + String.join("\n  - ", problems));
        }
    }

    /**
     * What a candidate version would meet when an update asks for it: the checks each classify instance runs before it
     * switches ({@link VersionCheck}), with the version this configuration starts with as the one it replaces.
     *
     * @param candidate the candidate's files
     * @param maxLatencyRatio how much slower than the starting version it may be
     */
    public static VersionReport checkVersion(ClassifySettings settings, String model, ModelDirectory candidate,
            boolean allowLabelChange, double maxLatencyRatio) throws Exception {
        if (!settings.tasks().modelNames().contains(model)) {
            throw new IllegalArgumentException("no task uses model '" + model + "'; the tasks use "
                    + settings.tasks().modelNames());
        }
        ModelSettings models = settings.models();
        try (BatchClassifier reference = ClassifierOpener.classifier(ModelDirectory.locate(model, models.modelsDir()),
                models, settings.batch().shape())) {
            BatchClassifier opened;
            try {
                opened = ClassifierOpener.classifier(candidate, models, settings.batch().shape());
            } catch (Exception e) {
                return new VersionReport(null, 0, 0, List.of(String.valueOf(e.getMessage())));
            }
            try (BatchClassifier classifier = opened) {
                VersionCheck.Timing timing;
                try {
                    timing = VersionCheck.smoke(model, reference, classifier, settings.tasks());
                } catch (IllegalArgumentException e) {
                    return new VersionReport(classifier.manifest(), 0, 0, List.of(e.getMessage()));
                }
                return new VersionReport(classifier.manifest(), timing.candidateMicros(), timing.activeMicros(),
                        VersionCheck.problems(model, classifier.manifest(), reference.manifest().labels,
                                allowLabelChange, settings.tasks(), timing.candidateMicros(), timing.activeMicros(),
                                maxLatencyRatio));
            }
        }
    }

    /**
     * A candidate version's check.
     *
     * @param manifest its manifest, or null if it could not be opened
     * @param micros its median time on the smoke batch
     * @param referenceMicros the starting version's
     * @param problems why it would be rejected; empty if it would serve
     */
    public record VersionReport(ModelManifest manifest, long micros, long referenceMicros, List<String> problems) {}

    /** The labels the tasks name that the model does not have: a typo there would silently change routing. */
    static List<String> labelProblems(TaskPlan plan, String model, List<String> labels) {
        List<String> problems = new ArrayList<>();
        for (TaskSpec task : plan.tasks()) {
            if (!task.modelName().equals(model)) {
                continue;
            }
            if (task.reviewLabel() != null && !labels.contains(task.reviewLabel())) {
                problems.add("task.review-labels: task '" + task.name() + "' names '" + task.reviewLabel()
                        + "', which model '" + model + "' does not have; its labels are " + labels);
            }
            String benign = task.windows().benignLabel();
            if (benign != null && !labels.contains(benign)) {
                problems.add("task.benign-labels: task '" + task.name() + "' names '" + benign + "', which model '"
                        + model + "' does not have; its labels are " + labels);
            }
        }
        return problems;
    }
}
