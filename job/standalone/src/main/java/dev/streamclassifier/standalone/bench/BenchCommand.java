package dev.streamclassifier.standalone.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.streamclassifier.job.config.CommandLine;
import dev.streamclassifier.job.config.JobConfig;
import dev.streamclassifier.job.config.JobOptions;
import dev.streamclassifier.job.config.OptionsHelp;
import dev.streamclassifier.job.event.EventKind;
import dev.streamclassifier.standalone.LocalJob;
import dev.streamclassifier.testkit.KafkaClients;
import dev.streamclassifier.testkit.SampleEvents;
import dev.streamclassifier.udf.BatchShape;
import dev.streamclassifier.udf.ModelDirectory;
import dev.streamclassifier.udf.WindowPolicy;
import dev.streamclassifier.udf.LabelledText;
import org.apache.flink.configuration.Configuration;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code java -jar stream-classifier.jar bench}: measures, in one run, the raw ONNX Runtime speed of a classifier (the
 * ceiling) and the speed of the whole pipeline on the same texts, batch size and threads; optionally the latency at a
 * fixed offered rate and a sweep of batch sizes and batch shapes. Writes a Markdown report with PNG plots; with
 * {@code --json} the last line printed is one JSON object with the figures.
 */
public final class BenchCommand {
    static final String SWITCHED_VERSION = "bench-switch";
    /** Events produced this long after a model update count as around the switch: its load, check and swap. */
    static final int AROUND_SWITCH_SECONDS = 10;
    static final String USAGE = """
            usage: java -jar job/standalone/target/stream-classifier.jar bench [options]
              --model NAME        classifier to measure (default chat-moderation)
              --events N          events (texts) per measurement (default 5000)
              --batch B           classifier.batch.max-size (default %s)
              --threads T         classifier.intra-op-threads (default %s)
              --parallelism P     decode/classify/write parallelism (default: the number of cores)
              --max-delay MS      classifier.batch.max-delay (default %s)
              --input-linger MS   linger.ms of the bench's producer of the input events, not the job's
                                  (default %d)
              --warmup N          at least N events through the job first, not measured, then more until the JIT
                                  compiler is quiet (< 5%% of a core over the last 10 s; at most
                                  150 s); 0: none (default 5000)
              --data FILE         texts from a text,label CSV/JSONL file instead of the sample texts
              --keys K            key the input events with one of K keys (default: no keys); the job keeps
                                  each key's events in order on one classifier
              --key-skew S        draw the keys from a Zipf distribution of exponent S (default 0: uniform);
                                  prints the share of events the busiest classifier gets
              --repeat-share S    only measure the result cache: a stream of --events texts in which each
                                  repeats an earlier one with probability S, classified directly with and
                                  without the cache (the pipeline runs without it: its passes repeat texts)
              --latency           also measure latency at 70%% of the measured pipeline throughput
              --rate R            ... or at R events/s
              --latency-seconds S how long the latency run offers events (default 30: six checkpoints)
              --switch-model      half-way through the latency run, switch the model live to a copy of itself
                                  tagged %s (from a temporary model store); reports the latency of events
                                  produced in the %d s after the update against the others'
              --sweep             also measure raw throughput against batch size for each batch shape,
                                  and against texts per model call (classifier.batch.micro-size)
              --report DIR        where to write report.md and the plots (default bench-report)
              --JOB-OPTION VALUE  any other job option for both sides of the measurement (see 'options')
              --json              print the figures as one JSON object on the last line"""
            .formatted(OptionsHelp.defaultValue(JobOptions.MAX_BATCH_SIZE),
                    OptionsHelp.defaultValue(JobOptions.INTRA_OP_THREADS),
                    OptionsHelp.defaultValue(JobOptions.MAX_BATCH_DELAY), KafkaClients.LINGER_MS,
                    SWITCHED_VERSION, AROUND_SWITCH_SECONDS);

    static final int CORES = LocalJob.CORES;
    /** Passes of the raw and of the pipeline measurement; each side reports its best. */
    private static final int ROUNDS = 3;

    private BenchCommand() {}

    public static void main(String[] args) throws Exception {
        try {
            run(args, System.out);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage() + "\n\n" + USAGE);
            System.exit(2);
        }
    }

    /**
     * Runs the bench with {@code args}; the figures (with {@code --json}, one JSON line last) go to {@code out}.
     *
     * @throws IllegalArgumentException for a bad command line or job option
     */
    static void run(String[] args, PrintStream out) throws Exception {
        CommandLine line = CommandLine.parse(args, Set.of("json", "latency", "sweep", "switch-model"));
        if (line.takeSwitch("help")) {
            out.println(USAGE);
            return;
        }
        String model = line.take("model").orElse("chat-moderation");
        int events = line.takeInt("events", 5000, 1);
        int warmup = line.takeInt("warmup", 5000, 0);
        int inputLinger = line.takeInt("input-linger", KafkaClients.LINGER_MS, 0);
        double latencySeconds = line.takeNumber("latency-seconds", 30, 1e-3);
        double fixedRate = line.has("rate") ? line.takeNumber("rate", 0, 1e-3) : 0;
        boolean json = line.takeSwitch("json");
        boolean switchModel = line.takeSwitch("switch-model");
        boolean latencyRun = line.takeSwitch("latency") || fixedRate > 0 || switchModel;
        boolean sweep = line.takeSwitch("sweep");
        Path reportDir = Path.of(line.take("report").orElse("bench-report"));
        String dataFile = line.take("data").orElse(null);
        double repeatShare = line.takeNumber("repeat-share", 0, 0);
        int keyCount = line.takeInt("keys", 0, 0);
        double keySkew = line.takeNumber("key-skew", 0, 0);
        line.alias("batch", JobOptions.MAX_BATCH_SIZE);
        line.alias("threads", JobOptions.INTRA_OP_THREADS);
        line.alias("parallelism", JobOptions.PARALLELISM);
        line.alias("max-delay", JobOptions.MAX_BATCH_DELAY);
        Configuration jobOptions = line.jobOptions();
        if (!jobOptions.contains(JobOptions.CACHE_ENTRIES)) {
            // Each pass sends the same texts: cached, every pass after the first would measure the cache, not the job.
            jobOptions.set(JobOptions.CACHE_ENTRIES, 0);
        }
        // Both sides of the measurement read these from the job's own options, so they cannot disagree.
        JobConfig settings = LocalJob.config(new Configuration(jobOptions)
                .set(JobOptions.BOOTSTRAP_SERVERS, "localhost:9092"));
        int batch = settings.classify().batch().maxSize();
        int threads = settings.classify().models().intraOpThreads();
        int parallelism = settings.parallelism().orElse(CORES);
        Duration maxDelay = settings.classify().batch().maxDelay();
        BatchShape shape = settings.classify().batch().shape();
        boolean shared = settings.classify().models().shareSession();
        EventKind kind = model.equals("chat-moderation") ? EventKind.CHAT : EventKind.TICKET;
        List<String> texts = texts(dataFile, kind, events);
        if (repeatShare > 0) {
            WindowPolicy windows = settings.classify().tasks().tasks().stream()
                    .filter(task -> task.modelName().equals(model)).findFirst()
                    .map(task -> task.windows()).orElse(WindowPolicy.FIRST_WINDOW);
            cacheOnly(model, texts, events, repeatShare, batch, threads, shape, windows, json, out);
            return;
        }
        System.setProperty("ai.djl.offline", "true");
        Files.createDirectories(reportDir);
        BenchReport report = new BenchReport(reportDir, model, events, batch, threads, parallelism, maxDelay);

        // The raw run cuts batches exactly as the pipeline's operator will (sorted micro-batches by default).
        progress("raw: %s on %,d texts, batch %d (%s), %d caller(s) x %d thread(s)%s, best of %d ...", model,
                texts.size(), batch, shape, parallelism, threads, parallelism > 1 && shared ? " on one session" : "",
                ROUNDS);
        RawBenchmark.Result raw = RawBenchmark.best(model, texts, batch, threads, parallelism, shared, shape,
                ROUNDS);
        progress("raw: %.0f texts/s, %.1f ms per batch", raw.textsPerSecond(), raw.millisPerBatch());
        report.raw(raw);
        double boundMs = maxDelay.toMillis() + 2 * raw.millisPerBatch();

        List<PipelineBenchmark.Result> pipelineRounds;
        PipelineBenchmark.Result pipeline;
        PipelineBenchmark.Result latency = null;
        double offered = 0;
        long switchedAtMs = 0;
        InputKeys keys = keyCount > 0 ? new InputKeys(keyCount, keySkew) : null;
        if (keys != null) {
            progress("keys: %d, Zipf exponent %.2f: the busiest of %d classifiers gets %.0f%% of the events", keyCount,
                    keySkew, parallelism, 100 * keys.busiestShare(parallelism));
        }
        if (switchModel) {
            Path store = Files.createTempDirectory("bench-model-store-");
            ModelDirectory.locate(model, settings.classify().models().modelsDir())
                    .copyTo(store.resolve(model).resolve(SWITCHED_VERSION), m -> m.version = SWITCHED_VERSION);
            jobOptions.set(JobOptions.MODEL_STORE, store.toUri().toString());
        }
        try (PipelineBenchmark bench = new PipelineBenchmark(model, kind, jobOptions, inputLinger, keys)) {
            if (switchModel) {
                bench.switchModelMidway(SWITCHED_VERSION);
            }
            progress("pipeline: %,d events through Kafka and Flink (%d slot(s) x %d thread(s)), after a warm-up, "
                    + "best of %d ...", texts.size(), parallelism, threads, ROUNDS);
            // Best of as many passes as the raw run, so both sides of the ratio are measured the same way.
            pipelineRounds = bench.throughput(texts, warmup, ROUNDS);
            pipeline = pipelineRounds.stream()
                    .max(Comparator.comparingDouble(PipelineBenchmark.Result::textsPerSecond)).orElseThrow();
            for (PipelineBenchmark.Result round : pipelineRounds) {
                progress("  pass: %.0f texts/s, mean batch %.1f, JIT compiler %.1f%% of the CPU",
                        round.textsPerSecond(), round.meanBatchSize(),
                        100 * round.cpuShares().getOrDefault(CpuSplit.JIT, 0.0));
            }
            progress("pipeline: %.0f texts/s (ratio %.3f)", pipeline.textsPerSecond(),
                    pipeline.textsPerSecond() / raw.textsPerSecond());
            report.pipeline(pipeline, pipelineRounds);
            pipeline.cpuShares().forEach((group, share) -> progress("  CPU: %4.1f%% %s", 100 * share, group));
            if (latencyRun) {
                offered = fixedRate > 0 ? fixedRate : 0.7 * pipeline.textsPerSecond();
                // A p99 over a few seconds is the worst 1% of one moment: one checkpoint or one JIT burst. Over 30 s
                // it holds six checkpoints, as a stream does.
                List<String> offeredTexts = cycle(texts, (int) Math.max(1, Math.round(offered * latencySeconds)));
                progress("latency: %,d events at %.0f events/s (about %.0f s) ...", offeredTexts.size(), offered,
                        latencySeconds);
                // The same job, warmed up again at the offered rate (at least 2,000 events, then until the JIT is
                // quiet): small batches run code paths the throughput run's full ones did not.
                latency = bench.latency(offeredTexts, offered, Math.min(warmup, 2_000),
                        new ProgressLine(offeredTexts.size()));
                System.err.println();
                progress("latency: %.2f of %d cores busy while events were offered, mean batch %.1f",
                        latency.coresBusy(), CORES, latency.meanBatchSize());
                report.latency(latency, offered, boundMs);
                switchedAtMs = bench.switchedAtMs();
            }
        }
        if (sweep) {
            report.sweep(Sweep.run(model, texts, threads));
            report.microBatchSweep(batch, parallelism,
                    Sweep.microBatches(model, texts, batch, threads, parallelism, shared));
        }
        Path written = report.write();
        progress("report: %s", written.toAbsolutePath());

        SwitchLatency switchLatency = switchedAtMs > 0 ? SwitchLatency.of(latency.timeline(), switchedAtMs,
                AROUND_SWITCH_SECONDS * 1000L, SWITCHED_VERSION) : null;
        if (switchLatency != null) {
            progress("switch: %s", switchLatency);
        }
        PipelineBenchmark.Result latencySource = latency != null ? latency : pipeline;
        ObjectNode result = new ObjectMapper().createObjectNode();
        result.put("model", model);
        result.put("events", texts.size());
        result.put("warmup_events", pipeline.warmupEvents());
        result.put("batch", batch);
        result.put("threads", threads);
        result.put("parallelism", parallelism);
        result.put("share_session", shared);
        result.put("raw_texts_per_s", round(raw.textsPerSecond()));
        result.put("pipeline_texts_per_s", round(pipeline.textsPerSecond()));
        pipelineRounds.forEach(round -> result.withArray("pipeline_passes_texts_per_s")
                .add(round(round.textsPerSecond())));
        result.put("ratio", Math.round(pipeline.textsPerSecond() / raw.textsPerSecond() * 1000) / 1000.0);
        result.put("latency_mode", latency != null ? "offered " + Math.round(offered) + " events/s" : "saturated");
        result.put("latency_events", latencySource.events());
        result.put("p50_ms", percentile(latencySource.processingLatencyMs(), 0.50));
        result.put("p99_ms", percentile(latencySource.processingLatencyMs(), 0.99));
        result.put("visible_p50_ms", percentile(latencySource.visibleLatencyMs(), 0.50));
        result.put("visible_p99_ms", percentile(latencySource.visibleLatencyMs(), 0.99));
        result.put("raw_ms_per_batch", round(raw.millisPerBatch()));
        result.put("latency_bound_ms", round(boundMs));
        result.put("mean_pipeline_batch", round(pipeline.meanBatchSize()));
        result.put("max_delay_ms", maxDelay.toMillis());
        result.put("input_linger_ms", inputLinger);
        result.put("cores", CORES);
        if (keys != null) {
            result.put("keys", keyCount);
            result.put("key_skew", keySkew);
            result.put("busiest_classifier_share", round(keys.busiestShare(parallelism)));
        }
        putShares(result.putObject("pipeline_cpu_shares"), pipeline.cpuShares());
        if (switchLatency != null) {
            switchLatency.put(result.putObject("model_switch"));
        }
        if (latency != null) {
            result.put("latency_offered_per_s", round(offered));
            // The batch sizes the offered rate made: smaller than in a flat-out pass.
            result.put("latency_mean_batch", round(latency.meanBatchSize()));
            // Unknown (the JVM does not tell its CPU time) is null, not a reading of 0.
            if (Double.isNaN(latency.coresBusy())) {
                result.putNull("latency_cores_busy");
            } else {
                result.put("latency_cores_busy", Math.round(latency.coresBusy() * 100) / 100.0);
            }
            putShares(result.putObject("latency_cpu_shares"), latency.cpuShares());
        }
        result.put("sort_by_length", shape.sortByLength());
        result.put("micro_batch", shape.microBatchSize());
        if (json) {
            out.println(result);
        } else {
            out.println(result.toPrettyString());
        }
    }

    static double percentile(double[] sorted, double q) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int index = (int) Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
        return sorted[index];
    }

    private static double round(double value) {
        return Math.round(value * 10) / 10.0;
    }

    /** CPU shares per thread group, to 0.1% (three decimals). */
    private static void putShares(ObjectNode node, Map<String, Double> shares) {
        shares.forEach((group, share) -> node.put(group, Math.round(share * 1000) / 1000.0));
    }

    /** {@code count} texts, going round {@code texts} as often as needed. */
    private static List<String> cycle(List<String> texts, int count) {
        List<String> cycled = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            cycled.add(texts.get(i % texts.size()));
        }
        return cycled;
    }

    private static List<String> texts(String dataFile, EventKind kind, int count) throws Exception {
        if (dataFile == null) {
            return new SampleEvents(123).texts(kind.sourceKind(), count);
        }
        List<LabelledText> rows = LabelledText.read(Path.of(dataFile), Map.of());
        rows.removeIf(row -> row.text().isBlank());
        if (rows.isEmpty()) {
            throw new IllegalArgumentException("--data " + dataFile + " holds no texts");
        }
        return cycle(rows.stream().map(LabelledText::text).toList(), count);
    }

    /** The result cache's effect on a stream with repeats, printed (and with --json, one JSON line). */
    private static void cacheOnly(String model, List<String> pool, int events, double share, int batch, int threads,
            BatchShape shape, WindowPolicy windows, boolean json, PrintStream out) throws Exception {
        List<String> stream = CacheBenchmark.withRepeats(pool, events, share, 7);
        int entries = JobOptions.CACHE_ENTRIES.defaultValue();
        progress("cache: %s on %,d texts, %.1f%% of them repeats, batch %d, cache of %,d, median of 3 passes ...",
                model, stream.size(), 100 * share, batch, entries);
        CacheBenchmark.Result result = CacheBenchmark.run(model, stream, batch, threads, entries, shape, windows);
        out.printf(Locale.ROOT, "cache: hit rate %.3f (repeats %.3f); %.0f texts/s without, %.0f with (%+.1f%%); a full "
                + "cache holds %.0f bytes of heap per entry (%.1f MB)%n", result.hitRate(), result.duplicateShare(),
                result.plainTextsPerSecond(), result.cachedTextsPerSecond(),
                100 * (result.cachedTextsPerSecond() / result.plainTextsPerSecond() - 1), result.bytesPerEntry(),
                result.bytesPerEntry() * entries / 1e6);
        if (json) {
            ObjectNode node = new ObjectMapper().createObjectNode();
            node.put("model", model);
            node.put("events", stream.size());
            node.put("repeat_share", Math.round(result.duplicateShare() * 1000) / 1000.0);
            node.put("hit_rate", Math.round(result.hitRate() * 1000) / 1000.0);
            node.put("texts_per_s_without_cache", round(result.plainTextsPerSecond()));
            node.put("texts_per_s_with_cache", round(result.cachedTextsPerSecond()));
            node.put("cache_bytes_per_entry", Math.round(result.bytesPerEntry()));
            out.println(node);
        }
    }

    private static void progress(String format, Object... args) {
        System.err.printf(Locale.ROOT, format + "%n", args);
    }

    /** One overwritten stderr line: events out, rate, time left; its clock starts with the first events out. */
    private static final class ProgressLine implements java.util.function.LongConsumer {
        private final long total;
        private long startNanos = -1;
        private long startDone;

        ProgressLine(long total) {
            this.total = total;
        }

        @Override
        public void accept(long done) {
            long now = System.nanoTime();
            if (startNanos < 0 && done > 0) {
                startNanos = now;
                startDone = done;
            }
            double rate = startNanos < 0 ? 0 : (done - startDone) / Math.max(1e-3, (now - startNanos) / 1e9);
            String format = done == 0 ? "\r  waiting for the first commit (one per checkpoint) ...   "
                    : "\r  %,d/%,d events out  %.0f/s  ~%.0f s left   ";
            System.err.printf(Locale.ROOT, format, done, total, rate, rate > 0 ? (total - done) / rate : 0.0);
        }
    }

}
