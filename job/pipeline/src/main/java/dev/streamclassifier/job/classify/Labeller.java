package dev.streamclassifier.job.classify;

import dev.streamclassifier.job.classify.BatchInference.TaskScore;
import dev.streamclassifier.job.event.OutboundRecord;
import dev.streamclassifier.job.event.TextEvent;
import dev.streamclassifier.job.sink.RecordEncoder;
import dev.streamclassifier.job.text.PiiMasker;
import dev.streamclassifier.schemas.ClassifiedEvent;
import dev.streamclassifier.schemas.Prediction;
import dev.streamclassifier.udf.ClassScores;
import dev.streamclassifier.udf.ModelManifest;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns an event's scores into the records it writes: one {@link Prediction} per task, then the routing rule. An event
 * goes to the review topic when any prediction scores under its task's threshold or is its task's review label (for a
 * multi-label model: has it among its labels); otherwise to each of its tasks' topics, once per topic. Not thread-safe
 * (its encoder reuses buffers): one per operator instance.
 */
final class Labeller {
    private final Map<String, TaskSpec> tasks = new HashMap<>();
    private final OutputSettings output;
    private final RecordEncoder<ClassifiedEvent> encoder;
    private final PiiMasker masker = new PiiMasker();

    /** A task with its threshold (the task's own, else its model's) and its model's manifest. */

    /**
     * What labelling an event produced, for the records to emit and the metrics to count.
     *
     * @param piiMasked how many values were masked in the copied text
     * @param tooLarge why no record could be made within the record limit (then {@code records} is empty), or null
     */
    record Labelled(List<OutboundRecord> records, List<Prediction> predictions, boolean needsReview,
            boolean truncated, int piiMasked, String tooLarge) {}

    Labeller(TaskPlan plan, OutputSettings output) {
        for (TaskSpec task : plan.tasks()) {
            tasks.put(task.name(), task);
        }
        this.output = output;
        this.encoder = output.encoding().encoder(ClassifiedEvent.getClassSchema());
    }

    /**
     * @param scores the event's tasks' scores, in task order
     * @param batchSize and {@code inferenceMicros} describe the batch the event was classified in
     * @param now the processing time stamped on the labelled event
     */
    Labelled label(TextEvent event, List<TaskScore> scores, int batchSize, long inferenceMicros, long now) {
        List<Prediction> predictions = new ArrayList<>(scores.size());
        boolean truncated = false;
        boolean needsReview = false;
        int windows = 1;
        for (TaskScore taskScore : scores) {
            TaskSpec task = tasks.get(taskScore.task().name());
            Prediction prediction = prediction(task, taskScore.score(), taskScore.manifest());
            predictions.add(prediction);
            truncated |= taskScore.score().truncated();
            windows = Math.max(windows, taskScore.score().windows());
            needsReview |= taskScore.manifest().multiLabel
                    ? prediction.getLabels().contains(task.reviewLabel())
                    : prediction.getScore() < prediction.getThreshold()
                            || prediction.getLabel().equals(task.reviewLabel());
        }
        String text = null;
        int masked = 0;
        if (output.includeText()) {
            text = clip(event.text);
            if (output.maskPii()) {
                PiiMasker.Masked result = masker.mask(text);
                text = result.text();
                masked = result.count();
            }
        }
        ClassifiedEvent classified = ClassifiedEvent.newBuilder()
                .setSourceKind(event.kind.sourceKind())
                .setSourceId(event.id)
                .setSourceTopic(event.topic == null ? "" : event.topic)
                .setSourcePartition(event.partition)
                .setSourceOffset(event.offset)
                .setText(text)
                .setTruncated(truncated)
                .setWindows(windows)
                .setAttributes(event.attributes())
                .setPredictions(predictions)
                .setNeedsReview(needsReview)
                .setEventTime(Instant.ofEpochMilli(event.eventTime))
                .setProcessedAt(Instant.ofEpochMilli(now))
                .setInferenceMicros(inferenceMicros)
                .setBatchSize(batchSize)
                .build();
        byte[] key = output.key().of(event);
        Set<String> topics = topicsOf(needsReview, predictions);
        Map<String, byte[]> values = encode(classified, topics);
        if (key.length + largest(values) > output.maxRecordBytes()) {
            // Many classes' scores or a long text: the predictions are what the event is for, so they stay.
            classified.setText(null);
            predictions.forEach(prediction -> prediction.setScores(Map.of(prediction.getLabel(),
                    prediction.getScore())));
            values = encode(classified, topics);
            if (key.length + largest(values) > output.maxRecordBytes()) {
                return new Labelled(List.of(), predictions, needsReview, truncated, masked, "its labelled event "
                        + "takes " + (key.length + largest(values)) + " bytes without text and scores, over "
                        + "sink.max-record-bytes (" + output.maxRecordBytes() + "); its key alone is " + key.length
                        + " bytes");
            }
        }
        List<OutboundRecord> records = new ArrayList<>(topics.size());
        for (String topic : topics) {
            records.add(new OutboundRecord(topic, key, values.get(topic))
                    .withHeaders(event.headerNames, event.headerValues));
        }
        return new Labelled(records, predictions, needsReview, truncated, masked, null);
    }

    /** The event's bytes for each topic: the same bytes unless the encoding names a registry subject by topic. */
    private Map<String, byte[]> encode(ClassifiedEvent classified, Set<String> topics) {
        Map<String, byte[]> values = new HashMap<>();
        byte[] shared = null;
        for (String topic : topics) {
            if (shared == null || output.encoding().dependsOnTopic()) {
                shared = encoder.encode(classified, topic);
            }
            values.put(topic, shared);
        }
        return values;
    }

    private static int largest(Map<String, byte[]> values) {
        return values.values().stream().mapToInt(value -> value.length).max().orElse(0);
    }

    /** The review topic, or each of the tasks' topics once. */
    private Set<String> topicsOf(boolean needsReview, List<Prediction> predictions) {
        Set<String> topics = new LinkedHashSet<>();
        if (needsReview) {
            topics.add(output.reviewTopic());
        } else {
            for (Prediction prediction : predictions) {
                topics.add(tasks.get(prediction.getTask()).outputTopic());
            }
        }
        return topics;
    }

    /** @param manifest the model version's that gave the scores: its threshold, unless the task sets one */
    private Prediction prediction(TaskSpec task, ClassScores score, ModelManifest manifest) {
        if (manifest.multiLabel) {
            return multiLabelPrediction(task, score, manifest);
        }
        int best = score.bestIndex();
        return Prediction.newBuilder()
                .setTask(task.name())
                .setLabel(score.labels().get(best))
                .setScore(score.probabilities()[best])
                .setScores(listedScores(score, output.topScores()))
                .setThreshold(task.threshold() != null ? task.threshold() : manifest.threshold)
                .setModelName(manifest.name)
                .setModelVersion(manifest.version)
                .build();
    }

    /**
     * Every label whose score reaches its threshold (the manifest's per label; a task's threshold overrides them all),
     * best first. The prediction's label and score are the best of them, or the model's no-label name with the best
     * score under its threshold when none fired; "under the threshold" means "not this label" here, so it never
     * sends an event to review: only a fired review label does.
     */
    private Prediction multiLabelPrediction(TaskSpec task, ClassScores score, ModelManifest manifest) {
        float[] probabilities = score.probabilities();
        List<Integer> fired = new ArrayList<>();
        for (int c = 0; c < probabilities.length; c++) {
            String label = score.labels().get(c);
            if (probabilities[c] >= thresholdOf(task, manifest, label)) {
                fired.add(c);
            }
        }
        fired.sort((a, b) -> Float.compare(probabilities[b], probabilities[a]));
        int best = fired.isEmpty() ? score.bestIndex() : fired.get(0);
        String bestLabel = score.labels().get(best);
        return Prediction.newBuilder()
                .setTask(task.name())
                .setLabel(fired.isEmpty() ? manifest.noLabel : bestLabel)
                .setScore(probabilities[best])
                .setScores(listedScores(score, output.topScores()))
                .setThreshold(thresholdOf(task, manifest, bestLabel))
                .setModelName(manifest.name)
                .setModelVersion(manifest.version)
                .setLabels(fired.stream().map(score.labels()::get).toList())
                .build();
    }

    /** A multi-label model's threshold for {@code label}: the task's, if it sets one, overrides the manifest's. */
    private static float thresholdOf(TaskSpec task, ModelManifest manifest, String label) {
        return task.threshold() != null ? task.threshold() : manifest.thresholdOf(label);
    }

    /** The {@code top} best classes' scores (every class's, in label order, when {@code top} is 0 or covers all). */
    static Map<String, Float> listedScores(ClassScores score, int top) {
        float[] probabilities = score.probabilities();
        int count = top <= 0 ? probabilities.length : Math.min(top, probabilities.length);
        Map<String, Float> listed = new LinkedHashMap<>(count * 2);
        if (count == probabilities.length) {
            for (int c = 0; c < probabilities.length; c++) {
                listed.put(score.labels().get(c), probabilities[c]);
            }
            return listed;
        }
        // A few passes over at most a few hundred classes: cheaper per event than sorting an index array.
        boolean[] taken = new boolean[probabilities.length];
        for (int k = 0; k < count; k++) {
            int best = -1;
            for (int c = 0; c < probabilities.length; c++) {
                if (!taken[c] && (best < 0 || probabilities[c] > probabilities[best])) {
                    best = c;
                }
            }
            taken[best] = true;
            listed.put(score.labels().get(best), probabilities[best]);
        }
        return listed;
    }

    /** Keeps labelled events small: a megabyte of input text must not make an output record too large for Kafka. */
    private String clip(String text) {
        int max = output.maxTextChars();
        return text.length() <= max ? text : text.substring(0, max);
    }
}
