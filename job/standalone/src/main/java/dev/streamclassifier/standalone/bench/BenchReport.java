package dev.streamclassifier.standalone.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Writes the bench's findings as {@code report.md} with PNG plots next to it. */
final class BenchReport {
    private final Path dir;
    private final StringBuilder markdown = new StringBuilder();
    private final StringBuilder plots = new StringBuilder();

    BenchReport(Path dir, String model, int events, int batch, int threads, int parallelism, Duration maxDelay) {
        this.dir = dir;
        markdown.append("# Benchmark: ").append(model).append("\n\n")
                .append(String.format(Locale.ROOT, "%s; %,d events; batch %d; max delay %d ms; %d slot(s) x %d "
                                + "ONNX Runtime thread(s); %d cores, Java %s.%n%n", Instant.now(), events, batch,
                        maxDelay.toMillis(), parallelism, threads, BenchCommand.CORES,
                        System.getProperty("java.version")))
                .append("| measurement | figure |\n|---|---|\n");
    }

    void raw(RawBenchmark.Result raw) {
        row("raw ONNX Runtime (tokenize + infer), texts/s, best pass", "%.0f", raw.textsPerSecond());
        row("raw time per batch, ms", "%.1f", raw.millisPerBatch());
    }

    void pipeline(PipelineBenchmark.Result pipeline, List<PipelineBenchmark.Result> passes) {
        row("pipeline (Kafka -> Flink -> Kafka, exactly-once), texts/s, best pass", "%.0f", pipeline.textsPerSecond());
        for (int i = 0; i < passes.size(); i++) {
            row("pipeline pass " + (i + 1) + ", texts/s", "%.0f", passes.get(i).textsPerSecond());
        }
        row("mean batch size in the best pipeline pass", "%.1f", pipeline.meanBatchSize());
        pipeline.cpuShares().forEach((group, share) -> row("CPU share in the best pipeline pass: " + group, "%.1f%%",
                100 * share));
    }

    void latency(PipelineBenchmark.Result latency, double offered, double boundMs) throws IOException {
        double[] processing = latency.processingLatencyMs();
        double[] visible = latency.visibleLatencyMs();
        row("offered rate for the latency run, events/s", "%.0f", offered);
        row("events in the latency run (labelled and dead letters; the latency figures are the labelled ones)", "%.0f",
                latency.events());
        row("latency produce -> classified, p50 ms", "%.0f", BenchCommand.percentile(processing, 0.5));
        row("latency produce -> classified, p99 ms", "%.0f", BenchCommand.percentile(processing, 0.99));
        row("bound: max delay + 2 x batch inference, ms", "%.0f", boundMs);
        row("mean batch size in the latency run (as its events saw it)", "%.1f", latency.meanBatchSize());
        row("latency produce -> visible to read_committed, p50 ms", "%.0f", BenchCommand.percentile(visible, 0.5));
        row("latency produce -> visible to read_committed, p99 ms", "%.0f", BenchCommand.percentile(visible, 0.99));
        row("cores busy while the latency run's events were offered (process CPU / wall time), of "
                + BenchCommand.CORES, "%.2f", latency.coresBusy());
        latency.cpuShares().forEach((group, share) -> row("CPU share in the latency run: " + group, "%.1f%%",
                100 * share));
        // Committed latency is mostly the wait for the next checkpoint (seconds): on the same axis it would squash the
        // curve people look at, so it has its own plot.
        LineChart classified = new LineChart("Latency CDF at " + Math.round(offered) + " events/s: produce -> classified",
                "latency (ms)", "fraction of events", false);
        classified.add("produce -> classified", processing, cdf(processing.length));
        classified.add("bound: max delay + 2 x batch inference", new double[] {boundMs, boundMs}, new double[] {0, 1});
        classified.write(dir.resolve("latency-cdf.png"));
        LineChart committed = new LineChart("Latency CDF at " + Math.round(offered) + " events/s: produce -> visible",
                "latency (ms)", "fraction of events", false);
        committed.add("produce -> committed and visible", visible, cdf(visible.length));
        committed.write(dir.resolve("latency-visible-cdf.png"));
        timeline(latency.timeline(), boundMs);
        plots.append("\n![latency CDF](latency-cdf.png)\n\n![latency over the run](latency-timeline.png)\n\n"
                + "![visible latency CDF](latency-visible-cdf.png)\n\n"
                + "Visible latency includes waiting for the next checkpoint (`checkpoint.interval`, 5 s by default): "
                + "exactly-once output is committed at checkpoints.\n");
    }

    /**
     * Latency in the order events were produced, so spikes can be told apart from a slow steady state and matched to
     * what happened then (a checkpoint every {@code checkpoint.interval}, a GC, the JIT compiler); {@code latency.csv}
     * holds the same per-event figures.
     */
    private void timeline(List<PipelineBenchmark.Timed> events, double boundMs) throws IOException {
        if (events.isEmpty()) {
            return;
        }
        long start = events.get(0).producedAtMs();
        double[] seconds = new double[events.size()];
        double[] processing = new double[events.size()];
        // The epoch column lines events up with log files (GC, JIT, broker, Flink) of the same run.
        StringBuilder csv = new StringBuilder("produced_at_epoch_ms,produced_at_s,classified_ms,visible_ms\n");
        for (int i = 0; i < events.size(); i++) {
            PipelineBenchmark.Timed event = events.get(i);
            seconds[i] = (event.producedAtMs() - start) / 1000.0;
            processing[i] = event.processingMs();
            csv.append(String.format(Locale.ROOT, "%d,%.3f,%.0f,%.0f%n", event.producedAtMs(), seconds[i],
                    event.processingMs(), event.visibleMs()));
        }
        Files.writeString(dir.resolve("latency.csv"), csv);
        double end = seconds[seconds.length - 1];
        new LineChart("Latency over the run: produce -> classified", "time since the first event (s)", "latency (ms)",
                false)
                .add("produce -> classified", seconds, processing)
                .add("bound: max delay + 2 x batch inference", new double[] {0, end}, new double[] {boundMs, boundMs})
                .write(dir.resolve("latency-timeline.png"));
    }

    void sweep(Map<String, double[]> sweep) throws IOException {
        double[] sizes = Arrays.stream(Sweep.BATCH_SIZES).asDoubleStream().toArray();
        LineChart chart = new LineChart("Raw throughput against batch size", "batch size", "texts/s", true);
        plots.append("\n| batch size |");
        sweep.keySet().forEach(name -> plots.append(' ').append(name).append(" |"));
        plots.append("\n|---|").append("---|".repeat(sweep.size())).append('\n');
        for (int i = 0; i < sizes.length; i++) {
            plots.append("| ").append(Sweep.BATCH_SIZES[i]).append(" |");
            for (double[] values : sweep.values()) {
                plots.append(String.format(Locale.ROOT, " %.0f |", values[i]));
            }
            plots.append('\n');
        }
        sweep.forEach((name, values) -> chart.add(name, sizes, values));
        chart.write(dir.resolve("throughput-vs-batch.png"));
        plots.append("\n![throughput against batch size](throughput-vs-batch.png)\n");
    }

    void microBatchSweep(int batch, int callers, double[] textsPerSecond) throws IOException {
        double[] sizes = Arrays.stream(Sweep.MICRO_BATCH_SIZES).asDoubleStream().toArray();
        plots.append("\n| texts per model call (batches of ").append(batch)
                .append(", sorted by length) | raw texts/s (").append(callers).append(" caller(s), as the raw run) |\n")
                .append("|---|---|\n");
        for (int i = 0; i < sizes.length; i++) {
            plots.append(String.format(Locale.ROOT, "| %d | %.0f |%n", Sweep.MICRO_BATCH_SIZES[i], textsPerSecond[i]));
        }
        new LineChart("Raw throughput against texts per model call (batches of " + batch + ")",
                "texts per model call (classifier.batch.micro-size)", "texts/s", true)
                .add("sorted by length within the batch", sizes, textsPerSecond)
                .write(dir.resolve("throughput-vs-micro-batch.png"));
        plots.append("\n![throughput against texts per model call](throughput-vs-micro-batch.png)\n");
    }

    Path write() throws IOException {
        Path file = dir.resolve("report.md");
        Files.writeString(file, markdown + plots.toString());
        return file;
    }

    private void row(String name, String format, double value) {
        markdown.append("| ").append(name).append(" | ").append(String.format(Locale.ROOT, format, value))
                .append(" |\n");
    }

    private static double[] cdf(int n) {
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            y[i] = (i + 1.0) / n;
        }
        return y;
    }
}
