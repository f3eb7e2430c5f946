package dev.streamclassifier.standalone.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.streamclassifier.job.config.JobOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The bench command end to end on a small load (real broker, mini-cluster, model): the JSON contract of its last line
 * and the report files it promises. The figures themselves are not judged here; performance is measured by running it.
 */
class BenchCommandITCase {
    private static final int EVENTS = 64;
    private static final int RATE = 100;
    private static final int LATENCY_SECONDS = 3;

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void printsEveryFigureAsOneJsonLineAndWritesTheReport(@TempDir Path report) throws Exception {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        BenchCommand.run(new String[] {"--model", "chat-moderation", "--events", Integer.toString(EVENTS),
                "--warmup", "0", "--rate", Integer.toString(RATE), "--latency-seconds",
                Integer.toString(LATENCY_SECONDS), "--input-linger", "5", "--checkpoint.interval", "1 s",
                "--sweep", "--report", report.toString(), "--json"},
                new PrintStream(printed, true, StandardCharsets.UTF_8));

        List<String> lines = printed.toString(StandardCharsets.UTF_8).lines().toList();
        JsonNode result = new ObjectMapper().readTree(lines.get(lines.size() - 1));
        assertThat(result.get("model").asText()).isEqualTo("chat-moderation");
        assertThat(result.get("events").asInt()).isEqualTo(EVENTS);
        assertThat(result.get("batch").asInt()).isEqualTo(32);
        assertThat(result.get("threads").asInt()).isEqualTo(1);
        double raw = result.get("raw_texts_per_s").asDouble();
        double pipeline = result.get("pipeline_texts_per_s").asDouble();
        assertThat(raw).isPositive();
        assertThat(pipeline).isPositive();
        assertThat(result.get("ratio").asDouble()).isCloseTo(pipeline / raw, within(0.002));
        JsonNode passes = result.get("pipeline_passes_texts_per_s");
        assertThat(passes).hasSize(3);
        double bestPass = 0;
        for (JsonNode pass : passes) {
            bestPass = Math.max(bestPass, pass.asDouble());
        }
        assertThat(bestPass).as("the reported pipeline figure is the best pass").isEqualTo(pipeline);
        assertThat(result.get("latency_mode").asText()).isEqualTo("offered " + RATE + " events/s");
        assertThat(result.get("latency_events").asInt()).isEqualTo(RATE * LATENCY_SECONDS);
        assertThat(result.get("p50_ms").asDouble()).isPositive()
                .isLessThanOrEqualTo(result.get("p99_ms").asDouble());
        assertThat(result.get("latency_bound_ms").asDouble()).isPositive();
        assertThat(result.get("max_delay_ms").asLong()).isEqualTo(JobOptions.MAX_BATCH_DELAY.defaultValue()
                .toMillis());
        assertThat(result.get("input_linger_ms").asInt()).isEqualTo(5);
        assertThat(result.get("micro_batch").asInt()).isEqualTo(JobOptions.MICRO_BATCH_SIZE.defaultValue());
        assertThat(result.get("latency_offered_per_s").asDouble()).isEqualTo(RATE);
        // Event-weighted: every event saw a batch of at least itself and at most the largest allowed.
        assertThat(result.get("latency_mean_batch").asDouble()).isBetween(1.0, 32.0);
        int cores = Runtime.getRuntime().availableProcessors();
        assertThat(result.get("cores").asInt()).isEqualTo(cores);
        // Process CPU over wall time: above 0 for a working job, and no more than every core (plus the clock ticks'
        // rounding) however the snapshots fall.
        assertThat(result.get("latency_cores_busy").asDouble()).isPositive().isLessThanOrEqualTo(cores + 0.25);
        assertThat(result.get("latency_cpu_shares").get("classify threads (decode, inference, encode)").asDouble())
                .isPositive();

        assertThat(Files.readString(report.resolve("report.md"))).contains("pipeline pass 3", "latency-timeline.png",
                "cores busy while the latency run's events were offered",
                "mean batch size in the latency run",
                "| texts per model call (batches of 32, sorted by length) | raw texts/s (",
                "throughput-vs-batch.png", "throughput-vs-micro-batch.png");
        for (String plot : List.of("latency-cdf.png", "latency-timeline.png", "latency-visible-cdf.png",
                "throughput-vs-batch.png", "throughput-vs-micro-batch.png")) {
            assertThat(Files.size(report.resolve(plot))).as(plot).isPositive();
        }
        List<String> csv = Files.readAllLines(report.resolve("latency.csv"));
        assertThat(csv.get(0)).isEqualTo("produced_at_epoch_ms,produced_at_s,classified_ms,visible_ms");
        assertThat(csv).as("one row per event of the latency run").hasSize(RATE * LATENCY_SECONDS + 1);
    }

    @Test
    void aBadCommandLineSaysWhatIsWrongBeforeAnythingStarts() {
        PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        assertThatThrownBy(() -> BenchCommand.run(new String[] {"--latency-seconds", "0"}, out))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("--latency-seconds must be above 0, was 0");
        assertThatThrownBy(() -> BenchCommand.run(new String[] {"--events", "many"}, out))
                .hasMessage("--events must be a number, was 'many'");
        assertThatThrownBy(() -> BenchCommand.run(new String[] {"--speed", "9"}, out))
                .hasMessageContaining("unknown option 'speed'");
        assertThatThrownBy(() -> BenchCommand.run(
                new String[] {"--max-delay", "5", "--classifier.batch.max-delay", "20 ms"}, out))
                .hasMessage("--max-delay and --classifier.batch.max-delay set the same option: give one");
    }
}
