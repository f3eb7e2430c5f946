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
                LOG.info("Model check passed: {}", classifier.manifest());
            } catch (Exception e) {
                problems.add("model '" + model + "': " + e.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("Cannot start: \n  - " + String.join("\n  - ", problems));
        }
    }
}
