package dev.streamclassifier.models;

import dev.streamclassifier.udf.ModelManifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code create}: a classifier from a YAML task description, on the real int8 encoder. */
class CreateCommandTest {
    private static final String SPEC = """
            name: tiny-support
            description: Sorts short messages.
            scale: 25
            threshold: 0.4
            classes:
              - label: weather
                description: A question about the weather, rain, sunshine or temperature.
              - label: food
                description: A message about cooking, recipes or what to eat.
                examples: ["what should I make for dinner", "how long do I boil pasta"]
              - label: travel
                description: A message about flights, trains, hotels or holidays.
            """;

    @Test
    void createsAHeadWhoseLabelsFollowTheDescriptions(@TempDir Path dir) throws Exception {
        Path spec = dir.resolve("task.yaml");
        Files.writeString(spec, SPEC);
        String encoders = System.getProperty("encoders.dir", "target/encoders");

        CreateCommand.run(CommandLine.parse(new String[] {"--spec", spec.toString(), "--out", dir.toString(),
                "--encoders", encoders, "--threads", "1"}));

        ModelManifest manifest = ModelManifest.read(dir.resolve("tiny-support/manifest.json"));
        assertThat(manifest.labels).containsExactly("weather", "food", "travel");
        assertThat(manifest.threshold).isEqualTo(0.4f);
        Head head = Head.read(dir.resolve("tiny-support/head.json"));
        try (Embedder embedder = Embedder.open(new Encoders(Path.of(encoders)), "all-minilm-l6-v2-q", 128, 1)) {
            float[][] texts = embedder.embed(List.of("will it rain tomorrow afternoon?",
                    "a good recipe for chocolate cake", "I need to book a flight to Rome"));
            for (int i = 0; i < texts.length; i++) {
                assertThat(TrainCommand.argmax(head.probabilities(texts[i]))).as("text %d", i).isEqualTo(i);
            }
        }
    }

    @Test
    void prototypeIsTheScaledUnitMean() {
        float[] prototype = CreateCommand.prototype(new float[][] {{1, 0}, {0, 1}}, 10f);

        assertThat(prototype[0]).isCloseTo(7.0710678f, org.assertj.core.api.Assertions.within(1e-5f));
        assertThat(prototype[1]).isEqualTo(prototype[0]);
    }

    @Test
    void labelNamesBecomeDescriptions() {
        assertThat(CreateCommand.describe("reverted_card_payment?", "{label}")).isEqualTo("reverted card payment");
        assertThat(CreateCommand.describe("Refund_not_showing_up", "a question about {label}"))
                .isEqualTo("a question about refund not showing up");
    }

    @Test
    void specWithoutDescriptionsIsRejectedWithTheReason(@TempDir Path dir) throws Exception {
        Path spec = dir.resolve("bad.yaml");
        Files.writeString(spec, "name: x\nclasses:\n  - label: a\n  - label: b\n    description: B.\n");

        assertThatThrownBy(() -> CreateCommand.Spec.read(spec))
                .hasMessageContaining("needs a 'label' and a one-sentence 'description'");
    }
}
