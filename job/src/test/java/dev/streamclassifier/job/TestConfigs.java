package dev.streamclassifier.job;

import dev.streamclassifier.udf.BatchShape;
import dev.streamclassifier.udf.ExecutionDevice;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/** Configurations shared by the job's tests: the two bundled default classifiers, small batches. */
final class TestConfigs {
    static final String ROUTING = "routing-out";
    static final String MODERATION = "moderation-out";
    static final String REVIEW = "review-out";
    static final String DEAD_LETTERS = "dead-letters-out";

    private TestConfigs() {}

    static ClassifierConfig classifierConfig(int maxBatchSize, Duration maxBatchDelay) {
        return new ClassifierConfig(
                List.of(new TaskSpec("routing", "ticket-routing", ROUTING, null),
                        new TaskSpec("moderation", "chat-moderation", MODERATION, null)),
                Map.of(EventKind.EMAIL, List.of("routing"), EventKind.TICKET, List.of("routing"),
                        EventKind.CHAT, List.of("moderation")),
                maxBatchSize, maxBatchDelay, new BatchShape(true, 8, false), null, ExecutionDevice.CPU, 1, true,
                10_000, 0, REVIEW, DEAD_LETTERS);
    }

    static RawRecord raw(EventKind kind, long offset, byte[] value) {
        return new RawRecord(kind, kind.name().toLowerCase() + "s", 0, offset, 1_700_000_000_000L, null, value);
    }
}
