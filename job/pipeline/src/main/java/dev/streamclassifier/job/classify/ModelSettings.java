package dev.streamclassifier.job.classify;

import dev.streamclassifier.job.lifecycle.ModelStore;
import dev.streamclassifier.job.lifecycle.ModelUpdateSettings;
import dev.streamclassifier.udf.ExecutionDevice;

import java.io.Serializable;

/**
 * Where the classifiers come from and how they run.
 *
 * @param modelsDir a directory of classifiers ({@code NAME/manifest.json, model.onnx, tokenizer.json}), or null for the
 *     ones bundled with the job
 * @param device CPU, or CUDA when the GPU build of ONNX Runtime is on the class path
 * @param intraOpThreads ONNX Runtime threads per model call
 * @param shareSession one classifier per model for all slots of a TaskManager instead of one per slot
 * @param updates the model store and topics of model updates, or null when versions do not change while running
 * @param cacheEntries how many results each classify instance keeps per model version for repeated texts; 0: none
 */
public record ModelSettings(String modelsDir, ExecutionDevice device, int intraOpThreads, boolean shareSession,
        ModelUpdateSettings updates, int cacheEntries) implements Serializable {
    public ModelSettings(String modelsDir, ExecutionDevice device, int intraOpThreads, boolean shareSession) {
        this(modelsDir, device, intraOpThreads, shareSession, null, 0);
    }

    /** Where versions come from, or null. */
    public ModelStore store() {
        return updates == null ? null : updates.store();
    }
}
