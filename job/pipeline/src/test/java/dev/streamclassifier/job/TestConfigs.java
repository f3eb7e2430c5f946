package dev.streamclassifier.job;

import dev.streamclassifier.job.classify.BatchSettings;
import dev.streamclassifier.job.classify.ClassifySettings;
import dev.streamclassifier.job.classify.ModelSettings;
import dev.streamclassifier.job.classify.OutputKey;
import dev.streamclassifier.job.classify.OutputSettings;
import dev.streamclassifier.job.classify.TaskPlan;
import dev.streamclassifier.job.classify.TaskSpec;
import dev.streamclassifier.job.config.JobConfig;
import dev.streamclassifier.job.config.JobOptions;
import dev.streamclassifier.job.decode.DecodeSettings;
import dev.streamclassifier.job.event.EventKind;
import dev.streamclassifier.job.event.RawRecord;
import dev.streamclassifier.job.sink.Encoding;
import dev.streamclassifier.job.sink.OutputFormat;
import dev.streamclassifier.udf.BatchShape;
import dev.streamclassifier.udf.ExecutionDevice;
import org.apache.flink.configuration.Configuration;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Settings shared by the job's tests: the two bundled default classifiers, small batches. */
public final class TestConfigs {
    public static final String ROUTING = "routing-out";
    public static final String MODERATION = "moderation-out";
    public static final String REVIEW = "review-out";
    public static final String DEAD_LETTERS = "dead-letters-out";
    public static final int MAX_RECORD_BYTES = JobOptions.MAX_RECORD_BYTES.defaultValue();

    private TestConfigs() {}

    /** Routing on tickets and emails, moderation on chats, every class's score listed. */
    public static TaskPlan tasks() {
        return new TaskPlan(
                List.of(new TaskSpec("routing", "ticket-routing", ROUTING, null),
                        new TaskSpec("moderation", "chat-moderation", MODERATION, null)),
                Map.of(EventKind.EMAIL, List.of("routing"), EventKind.TICKET, List.of("routing"),
                        EventKind.CHAT, List.of("moderation")));
    }

    public static BatchSettings batch(int maxSize, Duration maxDelay) {
        return new BatchSettings(maxSize, maxDelay, new BatchShape(true, 8));
    }

    /** The bundled classifiers on CPU, one thread, one per slot. */
    public static ModelSettings models() {
        return new ModelSettings(null, ExecutionDevice.CPU, 1, false);
    }

    /** Every class's score, the whole text unmasked, keyed by the input key, Avro single-object encoded. */
    public static OutputSettings output() {
        return output(10_000, 0);
    }

    public static OutputSettings output(int maxTextChars, int topScores) {
        return new OutputSettings(true, maxTextChars, topScores, REVIEW, DEAD_LETTERS, MAX_RECORD_BYTES, false,
                OutputKey.parse("input"), new Encoding(OutputFormat.AVRO));
    }

    /** How the job decodes with its default options, changed by {@code options} ({@code key, value, ...}). */
    public static DecodeSettings decode(String... options) {
        Configuration configuration = new Configuration().set(JobOptions.BOOTSTRAP_SERVERS, "localhost:9092");
        for (int i = 0; i < options.length; i += 2) {
            configuration.setString(options[i], options[i + 1]);
        }
        return JobConfig.from(configuration).decode();
    }

    public static ClassifySettings classify(int maxBatchSize, Duration maxBatchDelay) {
        return new ClassifySettings(tasks(), batch(maxBatchSize, maxBatchDelay), models(), output());
    }

    public static RawRecord raw(EventKind kind, long offset, byte[] value) {
        return new RawRecord(kind, kind.name().toLowerCase(Locale.ROOT) + "s", 0, offset, 1_700_000_000_000L, null,
                value);
    }
}
