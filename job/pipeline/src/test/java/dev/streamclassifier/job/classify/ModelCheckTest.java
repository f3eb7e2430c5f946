package dev.streamclassifier.job.classify;

import dev.streamclassifier.job.TestConfigs;
import dev.streamclassifier.job.event.EventKind;
import dev.streamclassifier.udf.ExecutionDevice;
import dev.streamclassifier.udf.ModelDirectory;
import dev.streamclassifier.udf.ModelManifest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A bad model fails before the job runs, with a message that says what to fix. */
class ModelCheckTest {
    @TempDir
    Path models;
    private Path model;

    @BeforeEach
    void copyTheBundledModel() throws Exception {
        Path bundled = ModelDirectory.locate("chat-moderation", null).path();
        model = Files.createDirectories(models.resolve("chat-moderation"));
        for (String file : List.of(ModelManifest.FILE_NAME, ModelDirectory.MODEL_FILE, ModelDirectory.TOKENIZER_FILE)) {
            Files.copy(bundled.resolve(file), model.resolve(file));
        }
    }

    private ClassifySettings config() {
        ClassifySettings base = TestConfigs.classify(8, Duration.ofMillis(50));
        return new ClassifySettings(new TaskPlan(List.of(new TaskSpec("moderation", "chat-moderation", "m", null)),
                Map.of(EventKind.CHAT, List.of("moderation"))), base.batch(),
                new ModelSettings(models.toString(), ExecutionDevice.CPU, 1, false), base.output());
    }

    @Test
    void anIntactCopyPasses() {
        ModelCheck.check(config());
    }

    @Test
    void aMissingModelFileIsNamed() throws Exception {
        Files.delete(model.resolve(ModelDirectory.MODEL_FILE));

        assertThatThrownBy(() -> ModelCheck.check(config()))
                .hasMessageContaining("chat-moderation").hasMessageContaining("model.onnx does not exist");
    }

    @Test
    void aCorruptModelFailsItsChecksum() throws Exception {
        byte[] bytes = Files.readAllBytes(model.resolve(ModelDirectory.MODEL_FILE));
        bytes[bytes.length / 2] ^= 0x01;
        Files.write(model.resolve(ModelDirectory.MODEL_FILE), bytes);

        assertThatThrownBy(() -> ModelCheck.check(config()))
                .hasMessageContaining("sha256").hasMessageContaining("corrupt or belongs to another model");
    }

    @Test
    void garbageWithAMatchingChecksumIsRejectedByOnnxRuntimeWithContext() throws Exception {
        byte[] garbage = "not an onnx model".getBytes();
        Files.write(model.resolve(ModelDirectory.MODEL_FILE), garbage);
        rewriteManifest(manifest -> manifest.sha256 = ModelDirectory.sha256(garbage));

        assertThatThrownBy(() -> ModelCheck.check(config()))
                .hasMessageContaining("Cannot open classifier chat-moderation");
    }

    @Test
    void aLabelListThatDoesNotFitTheModelIsExplained() throws Exception {
        rewriteManifest(manifest -> manifest.labels = new ArrayList<>(List.of("safe", "toxic", "spam", "other")));

        assertThatThrownBy(() -> ModelCheck.check(config()))
                .hasMessageContaining("outputs 3 scores but its manifest lists 4 labels");
    }

    @Test
    void aBrokenManifestNamesTheField() throws Exception {
        Files.writeString(model.resolve(ModelManifest.FILE_NAME), "{\"name\": \"chat-moderation\"}");

        assertThatThrownBy(() -> ModelCheck.check(config())).hasMessageContaining("'version' is missing");
    }

    private void rewriteManifest(java.util.function.Consumer<ModelManifest> change) throws Exception {
        ModelManifest manifest = ModelManifest.read(model.resolve(ModelManifest.FILE_NAME));
        change.accept(manifest);
        manifest.write(model.resolve(ModelManifest.FILE_NAME));
    }
}
