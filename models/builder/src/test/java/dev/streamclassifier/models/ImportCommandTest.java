package dev.streamclassifier.models;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.streamclassifier.udf.ClassScores;
import dev.streamclassifier.udf.ExecutionDevice;
import dev.streamclassifier.udf.ModelDirectory;
import dev.streamclassifier.udf.ModelManifest;
import dev.streamclassifier.udf.TextClassifier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * {@code import} on exports in Hugging Face's layout, built from the chat-moderation head on the real int8 encoder: the
 * imported classifier must score as the classifier the export was cut from (softmax put back), and a multi-label
 * export must get one sigmoid per label.
 */
class ImportCommandTest {
    private static final String ENCODER = "all-minilm-l6-v2-q";
    private static final Path COMMITTED_HEAD = Path.of(System.getProperty("heads.dir", "../heads"))
            .resolve("chat-moderation");
    /** The committed head without its LoRA adapters: a head trained on the plain encoder, as a team would bring. */
    private static Path frozenHead;
    private static final List<String> TEXTS = List.of("thanks, see you tomorrow", "you are such an idiot",
            "WINNER! Claim your free prize now, reply with your bank details");

    @TempDir
    static Path temp;
    private static Encoders encoders;
    private static ModelManifest headManifest;
    private static ModelProto reference;
    private static float[][] referenceScores;

    @BeforeAll
    static void assembleTheReference() throws Exception {
        encoders = new Encoders(Path.of(System.getProperty("encoders.dir", "target/encoders")));
        frozenHead = Files.createDirectories(temp.resolve("frozen-head"));
        for (String file : List.of(ModelManifest.FILE_NAME, Head.FILE_NAME)) {
            Files.copy(COMMITTED_HEAD.resolve(file), frozenHead.resolve(file));
        }
        headManifest = ModelManifest.read(frozenHead.resolve(ModelManifest.FILE_NAME));
        AssembleCommand.assembleOn(frozenHead, headManifest,
                OnnxComposer.parse(Files.readAllBytes(encoders.model(ENCODER))),
                encoders.tokenizer(ENCODER), temp.resolve("reference"));
        reference = OnnxComposer.parse(Files.readAllBytes(temp.resolve("reference").resolve("model.onnx")));
        referenceScores = scores(temp.resolve("reference"));
    }

    private static float[][] scores(Path directory) throws Exception {
        try (TextClassifier classifier = TextClassifier.open(ModelDirectory.of(directory), 1, ExecutionDevice.CPU)) {
            return classifier.classify(TEXTS).stream().map(ClassScores::probabilities).toArray(float[][]::new);
        }
    }

    @Test
    void anOptimumExportImportsWithItsLabelsAndScoresAsTheModelItCameFrom() throws Exception {
        Path export = HuggingFaceExports.sequenceClassifier(temp.resolve("export"), reference,
                encoders.tokenizer(ENCODER), headManifest.labels, "single_label_classification", true);

        ModelManifest imported = ImportCommand.importClassifier(export, "moderation-hf", "2.0.0", 128, null,
                temp.resolve("out"));

        Path directory = temp.resolve("out").resolve("moderation-hf");
        assertThat(imported.labels).as("from id2label, in id order").containsExactly("safe", "toxic", "spam");
        assertThat(imported.multiLabel).isFalse();
        assertThat(imported.inputNames).contains("input_ids", "attention_mask");
        ModelDirectory written = ModelDirectory.of(directory);
        assertThat(written.readVerifiedModel(written.readManifest())).as("checksum in the manifest").isNotEmpty();
        float[][] scores = scores(directory);
        for (int i = 0; i < TEXTS.size(); i++) {
            for (int c = 0; c < 3; c++) {
                assertThat(scores[i][c]).as("text %d class %d", i, c).isCloseTo(referenceScores[i][c], within(1e-5f));
            }
        }
        assertThat(ImportCommand.smoke(written)).contains("Smoke inference", "spam");
    }

    @Test
    void aMultiLabelExportGetsASigmoidPerLabel() throws Exception {
        Path export = HuggingFaceExports.sequenceClassifier(temp.resolve("export-multi"), reference,
                encoders.tokenizer(ENCODER), headManifest.labels, ImportCommand.MULTI_LABEL, false);

        ModelManifest imported = ImportCommand.importClassifier(export, "moderation-multi", "1.0.0", 128, 0.4f,
                temp.resolve("out"));

        assertThat(imported.multiLabel).isTrue();
        assertThat(imported.threshold).isEqualTo(0.4f);
        float[][] sigmoids = scores(temp.resolve("out").resolve("moderation-multi"));
        for (int i = 0; i < TEXTS.size(); i++) {
            // Each score is sigmoid(logit): the logits it gives back, put through softmax, are the reference's scores.
            double[] logits = new double[3];
            double sum = 0;
            for (int c = 0; c < 3; c++) {
                logits[c] = Math.log(sigmoids[i][c] / (1 - sigmoids[i][c]));
                sum += Math.exp(logits[c]);
            }
            for (int c = 0; c < 3; c++) {
                assertThat(Math.exp(logits[c]) / sum).as("text %d class %d", i, c)
                        .isCloseTo(referenceScores[i][c], within(1e-4));
            }
        }
    }

    @Test
    void aSentenceEncoderExportTakesAHeadTrainTrainedOnTheSameEncoder() throws Exception {
        Path export = HuggingFaceExports.sentenceEncoder(temp.resolve("encoder-export"), encoders.model(ENCODER),
                encoders.tokenizer(ENCODER));

        ModelManifest imported = ImportCommand.importWithHead(export, frozenHead, "moderation-own", "3.0.0",
                temp.resolve("out"));

        assertThat(imported.version).isEqualTo("3.0.0");
        assertThat(imported.labels).isEqualTo(headManifest.labels);
        assertThat(scores(temp.resolve("out").resolve("moderation-own"))).isDeepEqualTo(referenceScores);
    }

    @Test
    void anExportWithoutLabelsOrWithTheWrongNumberSaysWhatIsWrong() throws Exception {
        Path export = HuggingFaceExports.sequenceClassifier(temp.resolve("export-bad"), reference,
                encoders.tokenizer(ENCODER), List.of("a", "b"), null, false);

        assertThatThrownBy(() -> ImportCommand.importClassifier(export, "bad", "1", 128, null, temp.resolve("out")))
                .hasMessageContaining("3 wide").hasMessageContaining("2 labels");
        Files.writeString(export.resolve("config.json"), "{\"architectures\": [\"BertModel\"]}");
        assertThatThrownBy(() -> ImportCommand.importClassifier(export, "bad", "1", 128, null, temp.resolve("out")))
                .hasMessageContaining("id2label");
        assertThatThrownBy(() -> ImportCommand.importClassifier(temp.resolve("encoder-nowhere"), "bad", "1", 128,
                null, temp.resolve("out"))).hasMessageContaining("config.json");
    }
}
