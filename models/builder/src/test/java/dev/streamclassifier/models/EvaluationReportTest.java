package dev.streamclassifier.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Calibration error, coverage and the written report with its plots. */
class EvaluationReportTest {

    @Test
    void expectedCalibrationErrorIsTheWeightedGapPerBin() {
        Evaluation evaluation = new Evaluation(List.of("a", "b"));
        // Bin (0.9, 1.0]: 4 predictions at 0.95, 2 right: gap 0.45. Bin (0.5, 0.6]: 2 at 0.55, both right: gap 0.45.
        for (int i = 0; i < 4; i++) {
            evaluation.add(i < 2 ? "a" : "b", 0, 0.95f);
        }
        evaluation.add("a", 0, 0.55f);
        evaluation.add("b", 1, 0.55f);

        assertThat(evaluation.expectedCalibrationError(10)).isCloseTo(0.45, within(1e-6));
        Evaluation.Bin top = evaluation.reliability(10).get(9);
        assertThat(top.count()).isEqualTo(4);
        assertThat(top.accuracy()).isEqualTo(0.5);
    }

    @Test
    void perfectlyCalibratedPredictionsHaveNoCalibrationError() {
        Evaluation evaluation = new Evaluation(List.of("a", "b"));
        // 0.75 confidence, 3 of 4 right.
        evaluation.add("a", 0, 0.75f);
        evaluation.add("a", 0, 0.75f);
        evaluation.add("a", 0, 0.75f);
        evaluation.add("b", 0, 0.75f);

        assertThat(evaluation.expectedCalibrationError(15)).isCloseTo(0, within(1e-6));
    }

    @Test
    void coverageKeepsTheConfidentAndMeasuresThem() {
        Evaluation evaluation = new Evaluation(List.of("a", "b"));
        evaluation.add("a", 0, 0.9f);
        evaluation.add("a", 0, 0.8f);
        evaluation.add("a", 1, 0.6f);
        evaluation.add("b", 0, 0.4f);

        Evaluation.CoveragePoint point = evaluation.coverageAt(0.7);

        assertThat(point.coverage()).isEqualTo(0.5);
        assertThat(point.accuracy()).isEqualTo(1.0);
        assertThat(evaluation.coverageAt(0.5).accuracy()).isCloseTo(2.0 / 3, within(1e-9));
        assertThat(evaluation.coverageAt(0.95).coverage()).isZero();
        assertThat(evaluation.coverage()).hasSize(20);
        assertThat(evaluation.coverage().get(0).coverage()).isEqualTo(1.0);
    }

    @Test
    void reportHasFiguresTablesAndReadablePlots(@TempDir Path dir) throws Exception {
        Evaluation evaluation = new Evaluation(List.of("safe", "toxic", "spam"));
        evaluation.add("safe", 0, 0.9f);
        evaluation.add("toxic", 1, 0.8f);
        evaluation.add("spam", 0, 0.6f);
        evaluation.add("unheard-of", 2, 0.7f);

        Path report = EvalCommand.Report.write(dir, "chat-moderation", null, "chats.csv", evaluation, 0.65);

        String text = Files.readString(report);
        assertThat(text).contains("| accuracy | 0.5000 |", "| kept at threshold 0.65 | 75.0% |",
                "| (unknown to model) | 0 | 0 | 1 |", "![reliability diagram](reliability.png)");
        for (String png : List.of("confusion.png", "reliability.png", "coverage.png")) {
            BufferedImage image = ImageIO.read(dir.resolve(png).toFile());
            assertThat(image).as(png).isNotNull();
            assertThat(image.getWidth()).isGreaterThan(300);
            assertThat(distinctColours(image)).as(png + " is not blank").isGreaterThan(10);
        }
        JsonNode json = new ObjectMapper().readTree(EvalCommand.toJson("chat-moderation", evaluation, 0.65));
        assertThat(json.get("n").asInt()).isEqualTo(4);
        assertThat(json.get("unknown_gold_labels").asInt()).isEqualTo(1);
        assertThat(json.get("per_class").get("spam").get("support").asInt()).isEqualTo(1);
        assertThat(json.get("coverage_at_threshold").asDouble()).isEqualTo(0.75);
    }

    @Test
    void manyLabelsGetAListOfConfusionsInsteadOfAMatrixImage(@TempDir Path dir) throws Exception {
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            labels.add("intent_" + i);
        }
        Evaluation evaluation = new Evaluation(labels);
        evaluation.add("intent_3", 4, 0.5f);
        evaluation.add("intent_3", 4, 0.5f);
        evaluation.add("intent_5", 5, 0.9f);

        String text = Files.readString(EvalCommand.Report.write(dir, "m", null, "d", evaluation, 0.5));

        assertThat(dir.resolve("confusion.png")).doesNotExist();
        assertThat(text).contains("| intent_3 | intent_4 | 2 |");
    }

    private static int distinctColours(BufferedImage image) {
        java.util.Set<Integer> colours = new java.util.HashSet<>();
        for (int x = 0; x < image.getWidth(); x += 3) {
            for (int y = 0; y < image.getHeight(); y += 3) {
                colours.add(image.getRGB(x, y));
            }
        }
        return colours.size();
    }
}
