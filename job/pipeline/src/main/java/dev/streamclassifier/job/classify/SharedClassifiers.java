package dev.streamclassifier.job.classify;

import dev.streamclassifier.udf.BatchClassifier;
import dev.streamclassifier.udf.BatchShape;
import dev.streamclassifier.udf.ClassScores;
import dev.streamclassifier.udf.ModelManifest;
import dev.streamclassifier.udf.WindowPolicy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One classifier per model and settings for all slots of a TaskManager (per job: the registry lives in the job's
 * class loader), opened by the first slot and closed when the last one lets go. ONNX Runtime's {@code run} is
 * thread-safe and the tokenizer keeps no state between calls, so slots may classify at the same time; with one
 * intra-op thread each caller's call runs on its own thread, as separate sessions would, with one copy of the weights.
 */
final class SharedClassifiers {
    private static final Map<String, Entry> OPEN = new HashMap<>();

    private SharedClassifiers() {}

    /** Wraps {@code opener} so that equal requests share one classifier. */
    static ClassifierOpener sharing(ClassifierOpener opener) {
        return new ClassifierOpener() {
            @Override
            public BatchClassifier open(String modelName, ModelSettings settings, BatchShape shape) throws Exception {
                return acquire(modelName, null, settings, shape, opener);
            }

            @Override
            public BatchClassifier open(String modelName, String version, ModelSettings settings, BatchShape shape)
                    throws Exception {
                return acquire(modelName, version, settings, shape, opener);
            }
        };
    }

    private static synchronized BatchClassifier acquire(String modelName, String version, ModelSettings settings,
            BatchShape shape, ClassifierOpener opener) throws Exception {
        String key = modelName + "|" + version + "|" + settings.modelsDir() + "|" + settings.store() + "|"
                + settings.intraOpThreads() + "|" + settings.device() + "|" + shape;
        Entry entry = OPEN.get(key);
        if (entry == null) {
            entry = new Entry(key, opener.open(modelName, version, settings, shape));
            OPEN.put(key, entry);
        }
        entry.users++;
        return entry.handle();
    }

    private static synchronized void release(Entry entry) throws Exception {
        if (--entry.users == 0) {
            OPEN.remove(entry.key);
            entry.classifier.close();
        }
    }

    private static final class Entry {
        final String key;
        final BatchClassifier classifier;
        int users;

        Entry(String key, BatchClassifier classifier) {
            this.key = key;
            this.classifier = classifier;
        }

        /** A view for one slot: closing it twice releases once. */
        BatchClassifier handle() {
            Entry entry = this;
            return new BatchClassifier() {
                private boolean closed;

                @Override
                public ModelManifest manifest() {
                    return classifier.manifest();
                }

                @Override
                public List<ClassScores> classify(List<String> texts, WindowPolicy windows) throws Exception {
                    return classifier.classify(texts, windows);
                }

                @Override
                public void close() throws Exception {
                    if (!closed) {
                        closed = true;
                        release(entry);
                    }
                }
            };
        }
    }
}
