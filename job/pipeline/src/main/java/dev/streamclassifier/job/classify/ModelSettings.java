package dev.streamclassifier.job.classify;

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
 */
public record ModelSettings(String modelsDir, ExecutionDevice device, int intraOpThreads, boolean shareSession)
        implements Serializable {}
