package dev.streamclassifier.standalone;

import dev.streamclassifier.job.config.JobConfig;
import dev.streamclassifier.schemas.ClassifiedEvent;
import dev.streamclassifier.schemas.Prediction;
import dev.streamclassifier.udf.LabelledText;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** What the demo saw on the output topics, and how it shows it: a status block once a second and a last line. */
final class DemoSummary {
    private static final int EXAMPLES = 3;

    long labelled;
    long review;
    long deadLetters;
    private long batchSizeSum;
    private int maxBatch;
    private long firstProcessedAt = Long.MAX_VALUE;
    private long lastProcessedAt;
    private long replayChecked;
    private long replayAgreed;
    private final Map<String, Map<String, Long>> labels = new TreeMap<>();
    /** Per model, how many predictions each version made: more than one shows a live switch. */
    final Map<String, Map<String, Long>> versions = new TreeMap<>();
    private final Deque<String> examples = new ArrayDeque<>();

    long accounted() {
        return labelled + deadLetters;
    }

    /** @param replay the replayed file's rows (null for sample events), to count agreement with its labels */
    void add(ClassifiedEvent event, String topic, boolean toReview, List<LabelledText> replay) {
        labelled++;
        if (toReview) {
            review++;
        }
        batchSizeSum += event.getBatchSize();
        // Throughput from the job's own clock: output becomes visible in bursts, at each checkpoint's commit.
        firstProcessedAt = Math.min(firstProcessedAt, event.getProcessedAt().toEpochMilli());
        lastProcessedAt = Math.max(lastProcessedAt, event.getProcessedAt().toEpochMilli());
        maxBatch = Math.max(maxBatch, event.getBatchSize());
        for (Prediction prediction : event.getPredictions()) {
            labels.computeIfAbsent(prediction.getTask(), t -> new HashMap<>())
                    .merge(prediction.getLabel(), 1L, Long::sum);
            versions.computeIfAbsent(prediction.getModelName(), m -> new TreeMap<>())
                    .merge(prediction.getModelVersion(), 1L, Long::sum);
        }
        if (replay != null) {
            String id = event.getSourceId();
            int index = Integer.parseInt(id.substring(id.lastIndexOf('-') + 1)) % replay.size();
            replayChecked++;
            if (replay.get(index).label().equals(event.getPredictions().get(0).getLabel())) {
                replayAgreed++;
            }
        }
        if (examples.size() >= EXAMPLES) {
            examples.removeFirst();
        }
        examples.addLast(describe(event, topic));
    }

    /** The status block: counts, rate, time left, label counts per task and the latest examples. */
    String status(long produced, long total, double rate, double elapsedSeconds) {
        if (accounted() == 0) {
            return String.format(Locale.ROOT, "[%5.1fs] produced %,d/%,d | waiting for the first checkpoint: output is "
                    + "committed (and visible to read_committed consumers) at each checkpoint%n", elapsedSeconds,
                    produced, total);
        }
        double left = rate > 0 ? (total - accounted()) / rate : Double.NaN;
        StringBuilder text = new StringBuilder(String.format(Locale.ROOT,
                "[%5.1fs] produced %,d/%,d | labelled %,d (%.0f events/s) | review %,d | dead letters %,d%s%n",
                elapsedSeconds, produced, total, labelled, rate, review, deadLetters,
                Double.isNaN(left) || left <= 0 ? "" : String.format(Locale.ROOT, " | ~%.0fs left", left)));
        labels.forEach((task, counts) -> text.append(String.format("         %-10s %s%n", task, top(counts, 5))));
        versions.forEach((model, counts) -> {
            if (counts.size() > 1) {
                text.append(String.format("         versions   %s: %s%n", model, top(counts, 5)));
            }
        });
        if (replayChecked > 0) {
            text.append(String.format(Locale.ROOT, "         agreement with the file's labels: %.1f%% of %,d%n",
                    100.0 * replayAgreed / replayChecked, replayChecked));
        }
        examples.forEach(example -> text.append("         e.g. ").append(example).append('\n'));
        return text.toString();
    }

    /** The last line: what was classified, how fast, in what batches, with which models and threads. */
    String line(JobConfig config) {
        double seconds = Math.max(1e-3, (lastProcessedAt - firstProcessedAt) / 1e3);
        return String.format(Locale.ROOT, "Done: %,d events classified in %.1f s at %.0f events/s; %,d labelled (%,d "
                        + "to review), %,d dead letters; mean batch %.1f (max %d, limit %d); models %s; %d slot(s) x %d "
                        + "ONNX Runtime thread(s).", accounted(), seconds, labelled / seconds, labelled, review,
                deadLetters, labelled == 0 ? 0.0 : (double) batchSizeSum / labelled, maxBatch,
                config.classify().batch().maxSize(), config.classify().tasks().modelNames(),
                config.parallelism().orElse(LocalJob.CORES), config.classify().models().intraOpThreads());
    }

    private static String top(Map<String, Long> counts, int n) {
        StringBuilder line = new StringBuilder();
        counts.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(n)
                .forEach(e -> line.append(e.getKey()).append('=').append(e.getValue()).append("  "));
        if (counts.size() > n) {
            line.append("(+").append(counts.size() - n).append(" more labels)");
        }
        return line.toString().trim();
    }

    private static String describe(ClassifiedEvent event, String topic) {
        String text = event.getText() == null ? "" : event.getText().replaceAll("\\s+", " ");
        if (text.length() > 60) {
            text = text.substring(0, 57) + "...";
        }
        StringBuilder labels = new StringBuilder();
        for (Prediction prediction : event.getPredictions()) {
            labels.append(String.format(Locale.ROOT, "%s=%s (%.2f) ", prediction.getTask(), prediction.getLabel(),
                    prediction.getScore()));
        }
        return String.format(Locale.ROOT, "%s \"%s\" -> %s[%s]", event.getSourceKind(), text, labels, topic);
    }
}
