package dev.streamclassifier.job;

import dev.streamclassifier.udf.BatchClassifier;
import dev.streamclassifier.udf.ModelDirectory;
import dev.streamclassifier.udf.TextClassifier;

import java.io.Serializable;

/**
 * Opens the classifier of a model on the task manager. Serializable because it travels with the job graph; the
 * default opens the bundled model or the one under {@code classifier.models-dir}.
 */
@FunctionalInterface
public interface ClassifierOpener extends Serializable {
    BatchClassifier open(String modelName, ClassifierConfig config) throws Exception;

    /** The real classifiers: {@link TextClassifier} from a {@link ModelDirectory}. */
    ClassifierOpener MODELS = (modelName, config) -> TextClassifier.open(
            ModelDirectory.locate(modelName, config.modelsDir()), config.intraOpThreads(), config.device());
}
