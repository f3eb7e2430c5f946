package dev.streamclassifier.standalone.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.Locale;

/**
 * The latency cost of a live model switch, from a latency run's timeline: events produced in the window after the
 * update was published (while the new version loads, is checked and takes over) against all the others of the run.
 *
 * @param around and {@code away}: classification latencies in ms, sorted
 * @param onNewVersion events the new version classified
 */
record SwitchLatency(double[] around, double[] away, long onNewVersion, long windowMs) {
    static SwitchLatency of(List<PipelineBenchmark.Timed> timeline, long switchedAtMs, long windowMs,
            String newVersion) {
        double[] around = timeline.stream().filter(event -> inWindow(event, switchedAtMs, windowMs))
                .mapToDouble(PipelineBenchmark.Timed::processingMs).sorted().toArray();
        double[] away = timeline.stream().filter(event -> !inWindow(event, switchedAtMs, windowMs))
                .mapToDouble(PipelineBenchmark.Timed::processingMs).sorted().toArray();
        long onNew = timeline.stream().filter(event -> newVersion.equals(event.modelVersion())).count();
        return new SwitchLatency(around, away, onNew, windowMs);
    }

    private static boolean inWindow(PipelineBenchmark.Timed event, long fromMs, long windowMs) {
        return event.producedAtMs() >= fromMs && event.producedAtMs() < fromMs + windowMs;
    }

    void put(ObjectNode node) {
        node.put("window_s", windowMs / 1000);
        node.put("events_around", around.length);
        node.put("p50_around_ms", BenchCommand.percentile(around, 0.5));
        node.put("p99_around_ms", BenchCommand.percentile(around, 0.99));
        node.put("max_around_ms", around.length == 0 ? Double.NaN : around[around.length - 1]);
        node.put("events_away", away.length);
        node.put("p50_away_ms", BenchCommand.percentile(away, 0.5));
        node.put("p99_away_ms", BenchCommand.percentile(away, 0.99));
        node.put("events_on_new_version", onNewVersion);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%,d events produced in the %d s after the update: p50 %.0f ms, p99 %.0f ms; "
                + "%,d others: p50 %.0f ms, p99 %.0f ms; %,d classified by the new version", around.length,
                windowMs / 1000, BenchCommand.percentile(around, 0.5), BenchCommand.percentile(around, 0.99),
                away.length, BenchCommand.percentile(away, 0.5), BenchCommand.percentile(away, 0.99), onNewVersion);
    }
}
