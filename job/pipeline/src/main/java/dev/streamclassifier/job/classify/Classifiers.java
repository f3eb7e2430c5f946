package dev.streamclassifier.job.classify;

import dev.streamclassifier.udf.BatchClassifier;
import dev.streamclassifier.udf.BatchShape;
import dev.streamclassifier.udf.Closeables;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** The open classifier of each model a classify operator uses: opened together, closed together, exactly once. */
final class Classifiers implements AutoCloseable {
    private Map<String, BatchClassifier> byModel;

    private Classifiers(Map<String, BatchClassifier> byModel) {
        this.byModel = byModel;
    }

    /**
     * Opens every model; if one fails, closes those already open and throws with the model names and the cause.
     *
     * @param opener opens one model (shared per TaskManager when {@link ModelSettings#shareSession()} says so)
     */
    static Classifiers open(Set<String> models, ClassifierOpener opener, ModelSettings settings, BatchShape shape) {
        ClassifierOpener effective = settings.shareSession() ? SharedClassifiers.sharing(opener) : opener;
        Map<String, BatchClassifier> opened = new LinkedHashMap<>();
        try {
            for (String model : models) {
                opened.put(model, effective.open(model, settings, shape));
            }
            return new Classifiers(opened);
        } catch (Exception e) {
            try {
                Closeables.closeAll(opened.values().toArray(AutoCloseable[]::new));
            } catch (Exception closeFailure) {
                e.addSuppressed(closeFailure);
            }
            throw new IllegalStateException("Cannot open the classifiers " + models + ": " + e.getMessage(), e);
        }
    }

    BatchClassifier get(String model) {
        return byModel.get(model);
    }

    @Override
    public void close() throws Exception {
        if (byModel != null) {
            AutoCloseable[] all = byModel.values().toArray(AutoCloseable[]::new);
            byModel = null;
            Closeables.closeAll(all);
        }
    }
}
