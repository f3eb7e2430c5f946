package dev.streamclassifier.job;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.streamclassifier.job.config.JobConfig;
import dev.streamclassifier.job.config.JobOptions;
import dev.streamclassifier.models.HuggingFaceExports;
import dev.streamclassifier.models.ModelBuilder;
import dev.streamclassifier.schemas.ClassifiedEvent;
import dev.streamclassifier.schemas.Prediction;
import dev.streamclassifier.testkit.KafkaClients;
import dev.streamclassifier.testkit.SampleEvents;
import dev.streamclassifier.udf.ExecutionDevice;
import dev.streamclassifier.udf.ModelDirectory;
import dev.streamclassifier.udf.ModelManifest;
import dev.streamclassifier.udf.TextClassifier;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The job on a model it does not bundle: a multi-label classifier in Hugging Face's export layout (logits,
 * {@code config.json} with {@code id2label} and {@code problem_type}), brought in by the model builder's
 * {@code import} as a user would, then run from {@code classifier.models-dir}. Each event's prediction carries every
 * label over its threshold.
 */
class ImportedModelITCase {
    private static final String SPAM_TEXT =
            "WINNER!! You have been selected for a 1000 cash prize. Call 09061701461 now to claim!";

    @RegisterExtension
    static final MiniClusterExtension FLINK = KafkaExtension.flinkMiniCluster();

    @RegisterExtension
    static final KafkaExtension KAFKA = new KafkaExtension();

    @TempDir
    Path temp;

    @Test
    void theJobRunsAnImportedMultiLabelModel() throws Exception {
        // The export's graph is the bundled moderation model without its softmax; its labels are renamed, so every
        // label in the output can only have come from the imported config.json.
        ModelDirectory bundled = ModelDirectory.locate("chat-moderation", null);
        ModelManifest bundledManifest = bundled.readManifest();
        ModelProto graph = ModelProto.parseFrom(bundled.readVerifiedModel(bundledManifest));
        Path export = HuggingFaceExports.sequenceClassifier(temp.resolve("guard-export"), graph,
                bundled.tokenizerFile(), List.of("fine", "abusive", "unsolicited"), "multi_label_classification",
                false);
        Path modelsDir = temp.resolve("models");
        ModelBuilder.main(new String[] {"import", "--from", export.toString(), "--name", "chat-guard", "--version",
                "7.0.0", "--threshold", "0.5", "--out", modelsDir.toString()});
        assertThat(ModelManifest.read(modelsDir.resolve("chat-guard").resolve(ModelManifest.FILE_NAME)).multiLabel)
                .isTrue();

        Configuration options = ItOptions.of(KAFKA.kafka(), "imported")
                .set(JobOptions.MODELS_DIR, modelsDir.toString())
                .set(JobOptions.CHAT_TASKS, List.of("guard"))
                .set(JobOptions.EMAIL_TASKS, List.of("guard"))
                .set(JobOptions.TICKET_TASKS, List.of("guard"))
                .set(JobOptions.TASK_MODELS, Map.of("guard", "chat-guard"))
                .set(JobOptions.TASK_TOPICS, Map.of("guard", "moderation-imported"));
        ItOptions.createTopics(KAFKA.kafka(), options);
        SampleEvents samples = new SampleEvents(3);
        String bootstrap = KAFKA.kafka().bootstrapServers();
        KafkaClients.produce(bootstrap, options.get(JobOptions.CHATS_TOPIC), List.of(
                samples.avro(samples.chat("c-spam", SPAM_TEXT)),
                samples.avro(samples.chat("c-safe", "are we still meeting for lunch tomorrow?"))));

        // The start-up checks a user's job runs: the model opens and its smoke scores are probabilities.
        ClassifierJob.checkBeforeStart(JobConfig.from(options));
        ItOptions.runBounded(options, "imported-model-it");

        Map<String, ClassifiedEvent> out = Stream.of("moderation-imported", "review-imported")
                .flatMap(topic -> KafkaClients.readClassified(bootstrap, topic).stream())
                .collect(Collectors.toMap(ClassifiedEvent::getSourceId, Function.identity()));
        assertThat(out).containsOnlyKeys("c-spam", "c-safe");
        Prediction spam = out.get("c-spam").getPredictions().get(0);
        Prediction safe = out.get("c-safe").getPredictions().get(0);
        assertThat(spam.getModelName()).isEqualTo("chat-guard");
        assertThat(spam.getModelVersion()).isEqualTo("7.0.0");
        // A sigmoid keeps the logits' order: the best label is the bundled model's best, renamed.
        assertThat(best(spam)).isEqualTo("unsolicited");
        assertThat(best(safe)).isEqualTo("fine");
        for (Prediction prediction : List.of(spam, safe)) {
            assertThat(prediction.getScores()).as("every label's own score").hasSize(3);
            assertThat(prediction.getLabels()).as("exactly the labels at or over the 0.5 threshold")
                    .containsExactlyInAnyOrderElementsOf(prediction.getScores().entrySet().stream()
                            .filter(e -> e.getValue() >= 0.5f).map(Map.Entry::getKey).toList());
            assertThat(prediction.getLabel()).isEqualTo(prediction.getLabels().isEmpty() ? "none" : best(prediction));
        }
        // Each score is sigmoid(logit): the logits they give back, put through softmax, are the bundled scores.
        try (TextClassifier reference = TextClassifier.open(bundled, 1, ExecutionDevice.CPU)) {
            float[] expected = reference.classify(List.of(SPAM_TEXT)).get(0).probabilities();
            List<String> renamed = List.of("fine", "abusive", "unsolicited");
            double[] odds = renamed.stream().mapToDouble(label -> spam.getScores().get(label))
                    .map(score -> score / (1 - score)).toArray();
            double total = Arrays.stream(odds).sum();
            for (int c = 0; c < 3; c++) {
                assertThat(odds[c] / total).as(renamed.get(c)).isCloseTo(expected[c], within(0.01));
            }
        }
        assertThat(Files.exists(modelsDir.resolve("chat-guard").resolve("tokenizer.json"))).isTrue();
    }

    private static String best(Prediction prediction) {
        return prediction.getScores().entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
    }
}
