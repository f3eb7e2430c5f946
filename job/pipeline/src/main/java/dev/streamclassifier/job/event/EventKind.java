package dev.streamclassifier.job.event;

import dev.streamclassifier.schemas.SourceKind;

/** The three kinds of input the job reads, one topic each. */
public enum EventKind {
    EMAIL,
    TICKET,
    CHAT;

    public SourceKind sourceKind() {
        return SourceKind.valueOf(name());
    }
}
