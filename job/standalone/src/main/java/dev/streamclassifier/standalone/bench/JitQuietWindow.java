package dev.streamclassifier.standalone.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Tells the end of the bench's warm-up: whether the JIT compiler was busy less than a share of one core over the last
 * stretch of rounds. A single quiet round proves little: a cold pipeline's compiler alternates quiet rounds with bursts
 * for minutes, so the window spans several rounds.
 */
final class JitQuietWindow {
    private final long windowNanos;
    private final double quietShare;
    /** One mark per round, oldest first; the first is the latest one that still lets the window span its length. */
    private final List<Mark> marks = new ArrayList<>();

    /**
     * @param window     how far back the busy share is measured
     * @param quietShare busy share of one core under which the compiler counts as quiet
     * @param startNanos {@link System#nanoTime()} at the start
     * @param startCompileMillis the JIT compiler's total busy time at the start, in ms
     */
    JitQuietWindow(Duration window, double quietShare, long startNanos, long startCompileMillis) {
        this.windowNanos = window.toNanos();
        this.quietShare = quietShare;
        marks.add(new Mark(startNanos, startCompileMillis));
    }

    /** What the compiler did in the last round and over the window; {@code quiet} once a full window was quiet. */
    record Reading(double roundShare, double windowShare, Duration windowSpan, boolean quiet) {}

    /** Records the end of a round at {@code nanos}, when the compiler's total busy time was {@code compileMillis}. */
    Reading endRound(long nanos, long compileMillis) {
        Mark now = new Mark(nanos, compileMillis);
        double roundShare = marks.get(marks.size() - 1).busyShareUntil(now);
        marks.add(now);
        while (marks.size() > 2 && now.nanos - marks.get(1).nanos >= windowNanos) {
            marks.remove(0);
        }
        long span = now.nanos - marks.get(0).nanos;
        double windowShare = marks.get(0).busyShareUntil(now);
        return new Reading(roundShare, windowShare, Duration.ofNanos(span),
                span >= windowNanos && windowShare < quietShare);
    }

    private record Mark(long nanos, long compileMillis) {
        /** The compiler's busy time from this mark to {@code later}, as a share of one core. */
        double busyShareUntil(Mark later) {
            return (later.compileMillis - compileMillis) / Math.max(1e-3, (later.nanos - nanos) / 1e6);
        }
    }
}
