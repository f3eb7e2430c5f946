package dev.streamclassifier.udf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelManifestTest {

    private static ModelManifest valid() {
        ModelManifest manifest = new ModelManifest();
        manifest.name = "chat-moderation";
        manifest.version = "1.0.0";
        manifest.labels = List.of("safe", "toxic", "spam");
        manifest.inputNames = List.of("input_ids", "attention_mask", "token_type_ids");
        return manifest;
    }

    @Test
    void roundTripsThroughJson(@TempDir Path dir) throws IOException {
        ModelManifest manifest = valid();
        manifest.sha256 = "abc";
        manifest.write(dir.resolve("manifest.json"));

        ModelManifest read = ModelManifest.read(dir.resolve("manifest.json"));

        assertThat(read.labels).containsExactly("safe", "toxic", "spam");
        assertThat(read.sha256).isEqualTo("abc");
    }

    @Test
    void listsEveryProblemAtOnce() {
        ModelManifest manifest = valid();
        manifest.labels = List.of("only");
        manifest.maxTokens = 4096;
        manifest.version = "";

        assertThatThrownBy(() -> manifest.validate("m.json"))
                .hasMessageContaining("m.json")
                .hasMessageContaining("'labels'")
                .hasMessageContaining("'maxTokens'")
                .hasMessageContaining("'version'");
    }

    @Test
    void aMultiLabelManifestChecksItsPerLabelThresholdsAndScores() {
        ModelManifest manifest = valid();
        manifest.labelThresholds = Map.of("nope", 2f);
        assertThatThrownBy(() -> manifest.validate("m.json")).hasMessageContaining("only for a multiLabel model")
                .hasMessageContaining("'nope'");
        manifest.multiLabel = true;
        manifest.labelThresholds = Map.of(manifest.labels.get(1), 0.8f);
        manifest.validate("m.json");

        assertThat(manifest.thresholdOf(manifest.labels.get(1))).isEqualTo(0.8f);
        assertThat(manifest.thresholdOf(manifest.labels.get(0))).isEqualTo(manifest.threshold);
        float[] independent = new float[manifest.labels.size()];
        Arrays.fill(independent, 0.9f);
        assertThat(manifest.scoreProblem(independent)).as("sigmoids need not sum to 1").isNull();
        manifest.multiLabel = false;
        manifest.labelThresholds = new TreeMap<>();
        assertThat(manifest.scoreProblem(independent)).contains("sum to").contains("softmax");
        independent[0] = 3.5f;
        assertThat(manifest.scoreProblem(independent)).as("raw logits").contains("not a probability")
                .contains("import");
    }

    @Test
    void checksumMismatchFailsWithWhatToDo(@TempDir Path dir) throws IOException {
        ModelManifest manifest = valid();
        manifest.sha256 = ModelDirectory.sha256("the real bytes".getBytes());
        Files.writeString(dir.resolve("model.onnx"), "other bytes");

        assertThatThrownBy(() -> ModelDirectory.of(dir).readVerifiedModel(manifest))
                .hasMessageContaining("sha256")
                .hasMessageContaining("rebuild");
    }

    @Test
    void unknownBundledModelNamesTheAlternatives() {
        assertThatThrownBy(() -> ModelDirectory.locate("no-such-model", null))
                .hasMessageContaining("no-such-model");
    }

    @Test
    void missingModelInADirectorySaysWhereItLooked(@TempDir Path dir) {
        assertThatThrownBy(() -> ModelDirectory.locate("ticket-routing", dir.toString()))
                .hasMessageContaining(dir.resolve("ticket-routing").resolve("manifest.json").toString());
    }
}
