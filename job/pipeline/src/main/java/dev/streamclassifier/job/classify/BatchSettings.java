package dev.streamclassifier.job.classify;

import dev.streamclassifier.udf.BatchShape;

import java.io.Serializable;
import java.time.Duration;

/**
 * When a batch starts and how it is cut into model calls.
 *
 * @param maxSize a batch starts as soon as it holds this many events
 * @param maxDelay how long the first event of a batch may wait for more once the inference thread is free
 * @param shape how a batch is cut into model calls (sorted by length into micro-batches, by default)
 */
public record BatchSettings(int maxSize, Duration maxDelay, BatchShape shape) implements Serializable {}
