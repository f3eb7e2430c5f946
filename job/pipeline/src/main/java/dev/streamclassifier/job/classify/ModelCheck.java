package dev.streamclassifier.job.classify;

import dev.streamclassifier.udf.ModelDirectory;
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
                LOG.info("Model check passed: {}", classifier.manifest());
            } catch (Exception e) {
                problems.add("model '" + model + "': " + e.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("Cannot start: \n  - " + String.join("\n  - ", problems));
        }
    }

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
