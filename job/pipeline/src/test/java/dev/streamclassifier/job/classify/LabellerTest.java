package dev.streamclassifier.job.classify;

import dev.streamclassifier.job.TestConfigs;
import dev.streamclassifier.job.classify.BatchInference.TaskScore;
import dev.streamclassifier.job.classify.Labeller.Labelled;
import dev.streamclassifier.job.event.EventKind;
import dev.streamclassifier.job.event.OutboundRecord;
import dev.streamclassifier.job.event.TextEvent;
import dev.streamclassifier.job.sink.Encoding;
import dev.streamclassifier.job.sink.OutputFormat;
import dev.streamclassifier.schemas.ClassifiedEvent;
import dev.streamclassifier.schemas.SingleObjectCodec;
import dev.streamclassifier.udf.ClassScores;
import dev.streamclassifier.udf.ModelManifest;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

/** Scores into records: predictions, the review rule and routing, without Flink or a model. */
class LabellerTest {
    private static final List<String> MODERATION_LABELS = List.of("safe", "toxic", "spam");
    private static final TaskSpec MODERATION = new TaskSpec("moderation", "chat-moderation", TestConfigs.MODERATION,
            null, "spam");
    private static final TaskSpec ROUTING = new TaskSpec("routing", "ticket-routing", TestConfigs.ROUTING, 0.4f);
    private static final TaskSpec SCOPE = new TaskSpec("scope", "support-intent", TestConfigs.ROUTING, null, "oos");

    private final SingleObjectCodec<ClassifiedEvent> codec = SingleObjectCodec.of(ClassifiedEvent.getClassSchema());

    private static ModelManifest manifest(String name, float threshold) {
        ModelManifest manifest = new ModelManifest();
        manifest.name = name;
        manifest.version = "1.2.3";
        manifest.threshold = threshold;
        return manifest;
    }

    private static Labeller labeller(int topScores) {
        return labeller(topScores, TestConfigs.MAX_RECORD_BYTES);
    }

    /** The manifest of each model the tasks use: its threshold applies where the task sets none. */
    private static final Map<String, ModelManifest> MANIFESTS = Map.of("ticket-routing",
            manifest("ticket-routing", 0.9f), "support-intent", manifest("support-intent", 0.5f),
            "chat-moderation", manifest("chat-moderation", 0.6f));

    private static Labeller labeller(int topScores, int maxRecordBytes) {
        TaskPlan plan = new TaskPlan(List.of(ROUTING, SCOPE, MODERATION), Map.of(
                EventKind.TICKET, List.of("routing", "scope"), EventKind.CHAT, List.of("moderation")));
        return new Labeller(plan,
                new OutputSettings(true, 12, topScores, TestConfigs.REVIEW, TestConfigs.DEAD_LETTERS, maxRecordBytes,
                        false, OutputKey.parse("id"), new Encoding(OutputFormat.AVRO)));
    }

    private static TextEvent event(EventKind kind, String id, String text) {
        return new TextEvent(kind, id, text, 1_000, TestConfigs.raw(kind, 3, new byte[0]));
    }

    private static TaskScore score(TaskSpec task, List<String> labels, float... probabilities) {
        return new TaskScore(task, new ClassScores(labels, probabilities, false), MANIFESTS.get(task.modelName()));
    }

    private ClassifiedEvent decode(OutboundRecord record) throws Exception {
        return codec.decode(record.value);
    }

    @Test
    void anEventWhosePredictionsAreAllSureGoesToEachOfItsTasksTopicsOnce() throws Exception {
        Labelled labelled = labeller(0).label(event(EventKind.TICKET, "t1", "my card is lost"), List.of(
                score(ROUTING, List.of("lost_card", "pin"), 0.8f, 0.2f),
                score(SCOPE, List.of("lost_card", "oos"), 0.7f, 0.3f)), 4, 1234, 5_000);

        assertThat(labelled.needsReview()).isFalse();
        assertThat(labelled.records()).singleElement().satisfies(record -> {
            assertThat(record.topic).as("both tasks write to routing: once").isEqualTo(TestConfigs.ROUTING);
            assertThat(new String(record.key, StandardCharsets.UTF_8)).isEqualTo("t1");
            ClassifiedEvent event = decode(record);
            assertThat(event.getPredictions()).extracting(p -> p.getTask()).containsExactly("routing", "scope");
            assertThat(event.getPredictions().get(0).getThreshold()).as("the task's own threshold wins").isEqualTo(0.4f);
            assertThat(event.getPredictions().get(1).getThreshold()).as("else the model's").isEqualTo(0.5f);
            assertThat(event.getPredictions().get(0).getModelVersion()).isEqualTo("1.2.3");
            assertThat(event.getBatchSize()).isEqualTo(4);
            assertThat(event.getInferenceMicros()).isEqualTo(1234);
            assertThat(event.getSourceOffset()).isEqualTo(3);
        });
    }

    /** A ticket whose routing scores the two labels as given, and whose scope is sure. */
    private static Labelled ticketRouted(float lostCard, float pin) {
        return labeller(0).label(event(EventKind.TICKET, "t2", "purple elephant"), List.of(
                score(ROUTING, List.of("lost_card", "pin"), lostCard, pin),
                score(SCOPE, List.of("lost_card", "oos"), 0.9f, 0.1f)), 1, 1, 5_000);
    }

    @Test
    void anUnsurePredictionSendsTheEventToReviewOnly() throws Exception {
        assertThat(ticketRouted(0.35f, 0.65f).needsReview()).as("the best label's score counts").isFalse();
        Labelled unsure = ticketRouted(0.39f, 0.38f);
        assertThat(unsure.needsReview()).isTrue();
        assertThat(unsure.records()).extracting(r -> r.topic).containsExactly(TestConfigs.REVIEW);
        assertThat(decode(unsure.records().get(0)).getNeedsReview()).isTrue();
    }

    @Test
    void aTasksReviewLabelSendsTheEventToReviewWhateverItsScore() {
        Labelled spam = labeller(0).label(event(EventKind.CHAT, "c1", "WINNER!! call now"),
                List.of(score(MODERATION, MODERATION_LABELS, 0.01f, 0.01f, 0.98f)), 1, 1, 5_000);
        Labelled safe = labeller(0).label(event(EventKind.CHAT, "c2", "see you at lunch"),
                List.of(score(MODERATION, MODERATION_LABELS, 0.98f, 0.01f, 0.01f)), 1, 1, 5_000);

        assertThat(spam.records()).extracting(r -> r.topic).containsExactly(TestConfigs.REVIEW);
        assertThat(safe.records()).extracting(r -> r.topic).containsExactly(TestConfigs.MODERATION);
    }

    @Test
    void listsTheBestScoresFirstOrEveryScoreInLabelOrder() {
        ClassScores score = new ClassScores(List.of("a", "b", "c", "d"), new float[] {0.1f, 0.4f, 0.2f, 0.3f}, false);
        assertThat(Labeller.listedScores(score, 2)).containsExactly(entry("b", 0.4f), entry("d", 0.3f));
        assertThat(Labeller.listedScores(score, 0).keySet()).containsExactly("a", "b", "c", "d");
        assertThat(Labeller.listedScores(score, 9)).hasSize(4);
    }

    @Test
    void clipsTheCopiedTextAndFlagsATruncatedInput() throws Exception {
        TaskScore truncated = new TaskScore(MODERATION,
                new ClassScores(MODERATION_LABELS, new float[] {0.9f, 0.05f, 0.05f}, true),
                MANIFESTS.get("chat-moderation"));
        Labelled labelled = labeller(2).label(event(EventKind.CHAT, "c3", "a rather long message indeed"),
                List.of(truncated), 1, 1, 5_000);

        ClassifiedEvent event = decode(labelled.records().get(0));
        assertThat(event.getText()).isEqualTo("a rather lon");
        assertThat(event.getTruncated()).isTrue();
        assertThat(labelled.truncated()).isTrue();
        assertThat(event.getPredictions().get(0).getScores()).containsOnlyKeys("safe", "toxic");
    }

    @Test
    void anEventTooLargeForTheRecordLimitDropsItsTextAndScoresThenGivesUp() throws Exception {
        List<String> labels = java.util.stream.IntStream.range(0, 3000).mapToObj(i -> "label-" + i).toList();
        float[] probabilities = new float[labels.size()];
        probabilities[7] = 1f;
        TaskSpec many = new TaskSpec("moderation", "chat-moderation", TestConfigs.MODERATION, 0.1f);
        TaskScore score = new TaskScore(many, new ClassScores(labels, probabilities, false),
                MANIFESTS.get("chat-moderation"));
        TextEvent chat = event(EventKind.CHAT, "c4", "hello there");
        assertThat(labeller(0).label(chat, List.of(score), 1, 1, 5_000).records().get(0).value.length)
                .as("every class listed").isGreaterThan(30_000);

        Labelled slim = labeller(0, 30_000).label(chat, List.of(score), 1, 1, 5_000);
        ClassifiedEvent event = decode(slim.records().get(0));
        assertThat(event.getText()).isNull();
        assertThat(event.getPredictions().get(0).getScores()).containsOnlyKeys("label-7");
        assertThat(event.getPredictions().get(0).getLabel()).isEqualTo("label-7");

        Labelled hopeless = labeller(0, 30_000).label(event(EventKind.CHAT, "i".repeat(40_000), "hi"),
                List.of(score), 1, 1, 5_000);
        assertThat(hopeless.records()).isEmpty();
        assertThat(hopeless.tooLarge()).contains("its key alone is 40000 bytes");
    }

    @Test
    void aMultiLabelModelPredictsEveryLabelOverItsThresholdAndNeverSendsAnUnsureOneToReview() throws Exception {
        ModelManifest multi = manifest("chat-moderation", 0.5f);
        multi.multiLabel = true;
        multi.labels = List.of("toxic", "insult", "spam");
        multi.labelThresholds = Map.of("insult", 0.7f);
        TaskSpec task = new TaskSpec("moderation", "chat-moderation", TestConfigs.MODERATION, null, "spam");
        Labeller labeller = labeller(0);

        ClassifiedEvent both = decode(labeller.label(event(EventKind.CHAT, "c1", "you idiot"), List.of(
                new TaskScore(task, new ClassScores(multi.labels, new float[] {0.6f, 0.8f, 0.1f}, false), multi)),
                1, 10, 5_000).records().get(0));
        ClassifiedEvent none = decode(labeller.label(event(EventKind.CHAT, "c2", "hello"), List.of(
                new TaskScore(task, new ClassScores(multi.labels, new float[] {0.4f, 0.65f, 0.1f}, false), multi)),
                1, 10, 5_000).records().get(0));
        Labelled spam = labeller.label(event(EventKind.CHAT, "c3", "win a prize"), List.of(
                new TaskScore(task, new ClassScores(multi.labels, new float[] {0.1f, 0.1f, 0.9f}, false), multi)),
                1, 10, 5_000);

        assertThat(both.getPredictions().get(0).getLabels()).as("best first").containsExactly("insult", "toxic");
        assertThat(both.getPredictions().get(0).getLabel()).isEqualTo("insult");
        assertThat(both.getPredictions().get(0).getThreshold()).as("the label's own threshold").isEqualTo(0.7f);
        assertThat(both.getNeedsReview()).isFalse();
        assertThat(none.getPredictions().get(0).getLabels()).as("insult's 0.65 is under its 0.7").isEmpty();
        assertThat(none.getPredictions().get(0).getLabel()).isEqualTo("none");
        assertThat(none.getNeedsReview()).as("no label is an answer, not doubt").isFalse();
        assertThat(spam.needsReview()).as("the task's review label fired").isTrue();
        assertThat(spam.records()).singleElement().extracting(record -> record.topic).isEqualTo(TestConfigs.REVIEW);
    }
}
