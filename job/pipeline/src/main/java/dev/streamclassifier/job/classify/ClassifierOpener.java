package dev.streamclassifier.job.classify;

import dev.streamclassifier.udf.BatchClassifier;
import dev.streamclassifier.udf.BatchShape;
import dev.streamclassifier.udf.ClassScores;
import dev.streamclassifier.udf.ModelDirectory;
import dev.streamclassifier.udf.ModelManifest;
import dev.streamclassifier.udf.TextClassifier;
import dev.streamclassifier.udf.WindowPolicy;

import java.io.Serializable;
import java.util.List;

/**
 * Opens the classifier of a model on the task manager. Serializable because it travels with the job graph; the
 * default opens the bundled model or the one under {@code classifier.models-dir}.
 */
@FunctionalInterface
public interface ClassifierOpener extends Serializable {
    /** @param shape how each batch is cut into model calls */
    BatchClassifier open(String modelName, ModelSettings settings, BatchShape shape) throws Exception;

    /**
     * Opens a version of a model from the model store ({@link ModelSettings#store()}); a null version is the one
     * {@link #open(String, ModelSettings, BatchShape)} opens.
     */
    default BatchClassifier open(String modelName, String version, ModelSettings settings, BatchShape shape)
            throws Exception {
        if (version == null) {
            return open(modelName, settings, shape);
        }
        if (settings.store() == null) {
            throw new IllegalStateException("model " + modelName + " " + version + " was asked for, but no "
                    + "model-store.uri is set");
        }
        return settings.store().withVersion(modelName, version, directory -> classifier(directory, settings, shape));
    }

    /**
     * The real classifiers: {@link TextClassifier} from a {@link ModelDirectory}.
     */
    ClassifierOpener MODELS = (modelName, settings, shape) ->
            classifier(ModelDirectory.locate(modelName, settings.modelsDir()), settings, shape);

    /** The classifier in {@code directory}, cutting batches as {@code shape} says. */
    static BatchClassifier classifier(ModelDirectory directory, ModelSettings settings, BatchShape shape)
            throws Exception {
        TextClassifier classifier = TextClassifier.open(directory, settings.intraOpThreads(), settings.device());
        return new BatchClassifier() {
            @Override
            public ModelManifest manifest() {
                return classifier.manifest();
            }

            @Override
            public List<ClassScores> classify(List<String> texts, WindowPolicy windows) throws Exception {
                return classifier.classify(texts, shape, windows);
            }

            @Override
            public void close() throws Exception {
                classifier.close();
            }
        };
    }
}
