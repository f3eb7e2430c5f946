package dev.streamclassifier.standalone;

import dev.streamclassifier.job.config.CommandLine;
import dev.streamclassifier.job.config.JobOptions;
import dev.streamclassifier.job.config.OptionsHelp;
import dev.streamclassifier.job.event.EventKind;
import dev.streamclassifier.udf.LabelledText;
import org.apache.flink.configuration.Configuration;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What the demo runs: how many events, how fast, sample events or a replayed data file, and job options.
 *
 * @param replay the replayed file's rows, or null for the sample events
 * @param switchModelAt the produced event after which chat-moderation switches to a new version live; 0: never
 * @param jobOptions job options as given; the demo adds the broker's address
 */
record DemoSettings(int events, int rate, Path dataFile, List<LabelledText> replay, EventKind dataKind, int uiPort,
        int switchModelAt, Configuration jobOptions) {
    static final String USAGE = """
            usage: java -jar job/standalone/target/stream-classifier.jar demo [options]
              --events N          how many events to produce, then stop (default 3000)
              --rate N            events per second to produce; 0 = as fast as possible (default 0)
              --data FILE         replay a text,label CSV or JSONL file instead of the sample events
              --data-kind KIND    what the replayed texts are: ticket, email or chat (default ticket)
              --batch N           classifier.batch.max-size (default %s)
              --parallelism N     decode/classify/write parallelism (default: the number of cores)
              --threads N         classifier.intra-op-threads (default %s)
              --ui-port N         Flink web UI port (default 8081; another free port if taken)
              --switch-model N    after N events, publish a new chat-moderation version (a copy of the
                                  bundled one, tagged %s) on the model-updates topic: the job switches
                                  to it without a restart (try --rate 200 --switch-model 1000)
              --JOB-OPTION VALUE  any job option, e.g. --classifier.batch.max-delay 20ms (see 'options')"""
            .formatted(Demo.SWITCHED_VERSION, OptionsHelp.defaultValue(JobOptions.MAX_BATCH_SIZE),
                    OptionsHelp.defaultValue(JobOptions.INTRA_OP_THREADS));

    /** @throws IllegalArgumentException saying what is wrong with the command line or the data file */
    static DemoSettings parse(CommandLine line) {
        int events = line.takeInt("events", 3000, 1);
        int rate = line.takeInt("rate", 0, 0);
        Path dataFile = line.take("data").map(Path::of).orElse(null);
        EventKind dataKind = line.take("data-kind").map(DemoSettings::kind).orElse(EventKind.TICKET);
        int uiPort = line.takeInt("ui-port", 8081, 1);
        int switchModelAt = line.takeInt("switch-model", 0, 0);
        if (switchModelAt >= events) {
            throw new IllegalArgumentException("--switch-model " + switchModelAt + " comes after the last of "
                    + events + " events");
        }
        line.alias("batch", JobOptions.MAX_BATCH_SIZE);
        line.alias("parallelism", JobOptions.PARALLELISM);
        line.alias("threads", JobOptions.INTRA_OP_THREADS);
        Configuration jobOptions = line.jobOptions();
        // Output shows at each checkpoint's commit: the demo commits every second rather than every 5 s.
        if (!jobOptions.containsKey(JobOptions.CHECKPOINT_INTERVAL.key())) {
            jobOptions.set(JobOptions.CHECKPOINT_INTERVAL, Duration.ofSeconds(1));
        }
        if (!jobOptions.containsKey(JobOptions.TRANSACTIONAL_ID_PREFIX.key())) {
            jobOptions.set(JobOptions.TRANSACTIONAL_ID_PREFIX, "demo");
        }
        return new DemoSettings(events, rate, dataFile, dataFile == null ? null : read(dataFile), dataKind, uiPort,
                switchModelAt, jobOptions);
    }

    private static EventKind kind(String value) {
        try {
            return EventKind.valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--data-kind must be ticket, email or chat, was '" + value + "'");
        }
    }

    private static List<LabelledText> read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("--data " + file + " does not exist");
        }
        List<LabelledText> rows;
        try {
            rows = LabelledText.read(file, Map.of()).stream().filter(row -> !row.text().isBlank()).toList();
        } catch (IOException e) {
            throw new IllegalArgumentException("Cannot read --data " + file + ": " + e.getMessage(), e);
        }
        if (rows.isEmpty()) {
            throw new IllegalArgumentException("--data " + file + " holds no rows");
        }
        return rows;
    }
}
