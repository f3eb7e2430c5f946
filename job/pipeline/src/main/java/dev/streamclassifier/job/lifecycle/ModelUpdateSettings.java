package dev.streamclassifier.job.lifecycle;

import java.io.Serializable;

/**
 * Model updates without a restart: the store versions come from, the control topic the updates arrive on and the
 * topic where each classify instance reports what it did with them.
 *
 * @param maxLatencyRatio how much slower than the active version (on the same smoke batch) a new one may be before it
 *     is rejected
 */
public record ModelUpdateSettings(ModelStore store, String updatesTopic, String eventsTopic, double maxLatencyRatio)
        implements Serializable {}
