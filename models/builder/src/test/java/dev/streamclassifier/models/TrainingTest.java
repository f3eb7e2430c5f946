package dev.streamclassifier.models;

import dev.streamclassifier.udf.LabelledText;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The pieces of {@code train} that need no encoder: data reading, the head, calibration, the figures. */
class TrainingTest {

    @Test
    void readsQuotedCsvWithCommasQuotesAndLineBreaksAndMapsLabels(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("data.csv");
        Files.writeString(file, "text,label\r\n\"hello, world\",ham\n\"she said \"\"hi\"\"\nthen left\",spam\nplain,ham\n");

        List<LabelledText> rows = LabelledText.read(file, Map.of("ham", "safe"));

        assertThat(rows).containsExactly(new LabelledText("hello, world", "safe"),
                new LabelledText("she said \"hi\"\nthen left", "spam"), new LabelledText("plain", "safe"));
    }

    @Test
    void readsJsonl(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("data.jsonl");
        Files.writeString(file, "{\"text\": \"a\", \"label\": \"x\", \"domain\": \"d\"}\n\n{\"text\": \"b\", \"label\": \"y\"}\n");

        assertThat(LabelledText.read(file, Map.of())).containsExactly(new LabelledText("a", "x"),
                new LabelledText("b", "y"));
    }

    @Test
    void logisticRegressionSeparatesGaussianClustersOnRawFeatures() {
        Random random = new Random(3);
        int n = 600;
        float[][] x = new float[n][4];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % 3;
            for (int j = 0; j < 4; j++) {
                // Small, offset features like unit-length embeddings: the head must cope with the scale.
                x[i][j] = (float) (0.3 + 0.05 * (j == y[i] ? 1 : 0) + 0.01 * random.nextGaussian());
            }
        }
        Head head = new SoftmaxRegression(1e-4, 30, 0.01, 1).train(x, y, 3);

        Evaluation evaluation = new Evaluation(List.of("a", "b", "c"));
        for (int i = 0; i < n; i++) {
            float[] p = head.probabilities(x[i]);
            int best = p[0] >= p[1] && p[0] >= p[2] ? 0 : p[1] >= p[2] ? 1 : 2;
            evaluation.add(List.of("a", "b", "c").get(y[i]), best);
        }
        assertThat(evaluation.accuracy()).isGreaterThan(0.95);
    }

    @Test
    void temperatureScalingSoftensAnOverconfidentHead() {
        float[][] weights = {{20f, 0f}, {0f, 20f}};
        Head head = new Head(2, weights, new float[] {0, 0});
        Random random = new Random(5);
        float[][] x = new float[400][];
        int[] y = new int[400];
        for (int i = 0; i < 400; i++) {
            y[i] = random.nextInt(2);
            // Noisy: a quarter of the examples point the wrong way.
            boolean flip = random.nextInt(4) == 0;
            x[i] = (y[i] == 0) != flip ? new float[] {1, 0} : new float[] {0, 1};
        }

        double temperature = Calibration.fitTemperature(head, x, y);

        // With a fraction p of the examples right, the NLL-optimal top probability is p: 20 / T = ln(p / (1 - p)).
        double p = 0;
        for (int i = 0; i < x.length; i++) {
            p += (x[i][0] == 1) == (y[i] == 0) ? 1 : 0;
        }
        p /= x.length;
        assertThat(temperature).isCloseTo(20 / Math.log(p / (1 - p)), within(0.05));
        float[] calibrated = Calibration.scaled(head, temperature).probabilities(new float[] {1, 0});
        assertThat((double) calibrated[0]).isCloseTo(p, within(0.005));
    }

    @Test
    void unknownGoldLabelsCountAsErrorsNotCrashes() {
        Evaluation evaluation = new Evaluation(List.of("safe", "spam"));
        evaluation.add("safe", 0);
        evaluation.add("spam", 1);
        evaluation.add("toxic", 0);
        evaluation.add("spam", 0);

        assertThat(evaluation.accuracy()).isEqualTo(0.5);
        assertThat(evaluation.perClass().get("safe").precision()).isCloseTo(1.0 / 3, within(1e-9));
        assertThat(evaluation.perClass().get("spam").recall()).isEqualTo(0.5);
        assertThat(EvalCommand.toJson("m", evaluation)).contains("\"n\":4", "\"macro_f1\"", "\"per_class\"");
    }

    @Test
    void thresholdIsTheLowestThatReachesTheTargetPrecision() {
        Evaluation validation = new Evaluation(List.of("a", "b"));
        validation.add("a", 0, 0.95f);
        validation.add("a", 0, 0.9f);
        validation.add("a", 0, 0.8f);
        validation.add("b", 0, 0.6f);
        validation.add("b", 0, 0.4f);

        Evaluation.CoveragePoint picked = TrainCommand.pickThreshold(validation, 0.95);

        assertThat(picked.threshold()).isCloseTo(0.65, within(1e-9));
        assertThat(picked.coverage()).isCloseTo(0.6, within(1e-9));
        assertThat(picked.accuracy()).isEqualTo(1.0);
    }
}
