package dev.streamclassifier.models;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;

/** A one-line progress meter on stderr for commands that run longer than a few seconds: count, rate, time left. */
final class Progress {
    private final String what;
    private final long total;
    private final PrintStream out;
    private final long startNanos = System.nanoTime();
    private long lastPrintNanos;

    Progress(String what, long total) {
        this(what, total, System.err);
    }

    Progress(String what, long total, PrintStream out) {
        this.what = what;
        this.total = total;
        this.out = out;
    }

    void update(long done) {
        update(done, "");
    }

    /** As {@link #update(long)}, with a figure that changes as the work goes (a training loss). */
    void update(long done, String detail) {
        long now = System.nanoTime();
        if (done < total && now - lastPrintNanos < 1_000_000_000L) {
            return;
        }
        lastPrintNanos = now;
        double seconds = Math.max(1e-9, (now - startNanos) / 1e9);
        double rate = done / seconds;
        long left = rate > 0 ? (long) ((total - done) / rate) : 0;
        out.printf(Locale.ROOT, "\r%s: %,d/%,d (%.0f%%)  %.0f/s  %s left  %s ", what, done, total,
                100.0 * done / Math.max(1, total), rate, format(Duration.ofSeconds(left)), detail);
        if (done >= total) {
            out.printf(Locale.ROOT, "%n");
        }
        out.flush();
    }

    private static String format(Duration duration) {
        return duration.toMinutes() > 0
                ? duration.toMinutes() + "m" + String.format(Locale.ROOT, "%02d", duration.toSecondsPart()) + "s"
                : duration.toSeconds() + "s";
    }
}
