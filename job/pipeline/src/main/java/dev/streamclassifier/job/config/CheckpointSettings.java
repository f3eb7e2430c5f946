package dev.streamclassifier.job.config;

import java.time.Duration;

/**
 * Checkpointing, and with it the exactly-once commits, and Flink's network buffering.
 *
 * @param interval how often output is committed
 * @param unaligned whether barriers may overtake records queued in front of the classifier
 * @param bufferTimeout how long Flink may hold a partly filled network buffer
 */
public record CheckpointSettings(Duration interval, boolean unaligned, Duration bufferTimeout) {}
