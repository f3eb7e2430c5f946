package dev.streamclassifier.udf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

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
