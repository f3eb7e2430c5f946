package dev.streamclassifier.job.classify;

import dev.streamclassifier.udf.BatchClassifier;
import dev.streamclassifier.udf.BatchShape;
import dev.streamclassifier.udf.Closeables;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The classifiers a classify operator uses: per model the active version (with its result cache) and optionally a
 * shadow version. Opened together, closed together, each exactly once. Versions change only on the task thread while
 * no batch runs ({@link ModelLifecycle}), so the inference thread sees a stable set for a whole batch.
 */
final class Classifiers implements AutoCloseable {
    /**
     * One open version of a model.
     *
     * @param version the store version, or null for the one the job started with
     */
    record Version(String version, BatchClassifier classifier) {
        String name() {
            return version != null ? version : classifier.manifest().version;
        }
    }

    /** A version running beside the active one on a share of events, whose results are only compared. */
    record Shadow(Version version, double share) {}

    private final int cacheEntries;
    private Map<String, Version> active;
    private final Map<String, ResultCache> caches = new LinkedHashMap<>();
    private final Map<String, Shadow> shadows = new LinkedHashMap<>();

    private Classifiers(Map<String, Version> active, int cacheEntries) {
        this.active = active;
        this.cacheEntries = cacheEntries;
        active.keySet().forEach(this::resetCache);
    }

    /**
     * Opens every model; if one fails, closes those already open and throws with the model names and the cause.
     *
     * @param opener opens one model (shared per TaskManager when {@link ModelSettings#shareSession()} says so)
     */
    static Classifiers open(Set<String> models, ClassifierOpener opener, ModelSettings settings, BatchShape shape) {
        ClassifierOpener effective = effective(opener, settings);
        Map<String, Version> opened = new LinkedHashMap<>();
        try {
            for (String model : models) {
                BatchClassifier classifier = effective.open(model, settings, shape);
                opened.put(model, new Version(null, classifier));
            }
            return new Classifiers(opened, settings.cacheEntries());
        } catch (Exception e) {
            try {
                Closeables.closeAll(opened.values().stream().map(Version::classifier).toArray(AutoCloseable[]::new));
            } catch (Exception closeFailure) {
                e.addSuppressed(closeFailure);
            }
            throw new IllegalStateException("Cannot open the classifiers " + models + ": " + e.getMessage(), e);
        }
    }

    /** The opener as the operator uses it: shared per TaskManager when the settings say so. */
    static ClassifierOpener effective(ClassifierOpener opener, ModelSettings settings) {
        return settings.shareSession() ? SharedClassifiers.sharing(opener) : opener;
    }

    BatchClassifier get(String model) {
        return active.get(model).classifier();
    }

    Version active(String model) {
        return active.get(model);
    }

    Set<String> models() {
        return active.keySet();
    }

    /** The active version's cache, or null when caching is off. */
    ResultCache cache(String model) {
        return caches.get(model);
    }

    Shadow shadow(String model) {
        return shadows.get(model);
    }

    /** Makes {@code next} the active version of {@code model}, with an empty cache; returns the one it replaces. */
    Version swap(String model, Version next) {
        Version previous = active.put(model, next);
        resetCache(model);
        return previous;
    }

    /** Sets or (with null) removes the shadow of {@code model}; returns the one it replaces, or null. */
    Shadow shadow(String model, Shadow next) {
        return next == null ? shadows.remove(model) : shadows.put(model, next);
    }

    private void resetCache(String model) {
        if (cacheEntries > 0) {
            caches.put(model, new ResultCache(cacheEntries));
        }
    }

    @Override
    public void close() throws Exception {
        if (active != null) {
            List<AutoCloseable> all = new ArrayList<>();
            active.values().forEach(version -> all.add(version.classifier()));
            shadows.values().forEach(shadow -> all.add(shadow.version().classifier()));
            active = null;
            shadows.clear();
            Closeables.closeAll(all.toArray(AutoCloseable[]::new));
        }
    }
}
