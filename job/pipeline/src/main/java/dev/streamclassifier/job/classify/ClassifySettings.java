package dev.streamclassifier.job.classify;

import java.io.Serializable;

/**
 * Everything the classify step needs, serializable so it travels with the job graph; the classifiers themselves are
 * opened on the TaskManager.
 */
public record ClassifySettings(TaskPlan tasks, BatchSettings batch, ModelSettings models, OutputSettings output)
        implements Serializable {}
