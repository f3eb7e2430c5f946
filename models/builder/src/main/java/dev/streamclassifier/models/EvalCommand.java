package dev.streamclassifier.models;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.streamclassifier.udf.ClassScores;
import dev.streamclassifier.udf.ExecutionDevice;
import dev.streamclassifier.udf.LabelledText;
import dev.streamclassifier.udf.ModelDirectory;
import dev.streamclassifier.udf.ModelManifest;
import dev.streamclassifier.udf.TextClassifier;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Runs an assembled classifier over a labelled file and reports accuracy, macro-F1, per-class figures, the confusion
 * matrix, expected calibration error and accuracy-vs-coverage when abstaining under the review threshold; writes a
 * Markdown report and PNG plots to {@code --report DIR}. With {@code --json} the last line printed is one JSON object
 * with {@code n}, {@code accuracy}, {@code macro_f1}, {@code per_class} and the calibration and coverage figures.
 */
final class EvalCommand {
    private static final int BATCH = 32;
    static final int CALIBRATION_BINS = 15;
    /** Above this many labels a confusion matrix image is unreadable; the report lists the top confusions instead. */
    static final int MAX_MATRIX_LABELS = 20;

    private EvalCommand() {}

    static void run(CommandLine line) throws Exception {
        String modelName = line.required("model");
        Path data = Path.of(line.required("data"));
        boolean json = line.flag("json");
        String modelsDir = line.get("models-dir", DefaultPaths.ASSEMBLED);
        int threads = line.intValue("threads", Math.max(1, Runtime.getRuntime().availableProcessors()));
        java.util.Map<String, String> labelMap = TrainCommand.parseMap(line.get("map", ""));
        String dataName = data.getFileName().toString().replaceFirst("\\.[^.]+$", "");
        String dataSet = data.toAbsolutePath().getParent() == null ? dataName
                : data.toAbsolutePath().getParent().getFileName() + "-" + dataName;
        Path reportDir = Path.of(line.get("report", DefaultPaths.REPORTS + "/" + modelName + "/" + dataSet));
        Float thresholdOverride = line.get("threshold", null) == null ? null : (float) line.doubleValue("threshold", 0);
        line.rejectUnknown();

        List<LabelledText> rows = LabelledText.read(data, labelMap);
        Evaluation evaluation;
        ModelManifest manifest;
        try (TextClassifier classifier = TextClassifier.open(ModelDirectory.locate(modelName, modelsDir), threads,
                ExecutionDevice.CPU)) {
            manifest = classifier.manifest();
            evaluation = new Evaluation(manifest.labels);
            Progress progress = new Progress("classifying " + data.getFileName(), rows.size());
            for (int from = 0; from < rows.size(); from += BATCH) {
                List<LabelledText> batch = rows.subList(from, Math.min(rows.size(), from + BATCH));
                List<ClassScores> scores = classifier.classify(batch.stream().map(LabelledText::text).toList());
                for (int i = 0; i < batch.size(); i++) {
                    evaluation.add(batch.get(i).label(), scores.get(i).bestIndex(), scores.get(i).bestScore());
                }
                progress.update(from + batch.size());
            }
        }
        // Rounded: the manifest's float 0.55f would otherwise print as 0.550000011920929.
        double threshold = Math.round((thresholdOverride != null ? thresholdOverride : manifest.threshold) * 1e4) / 1e4;
        System.out.printf(Locale.ROOT, "%s on %s: n=%d accuracy=%.4f macro-F1=%.4f ECE=%.4f; threshold %.2f keeps "
                        + "%.1f%% at accuracy %.4f%n", modelName, data, evaluation.count(), evaluation.accuracy(),
                evaluation.macroF1(), evaluation.expectedCalibrationError(CALIBRATION_BINS), threshold,
                100 * evaluation.coverageAt(threshold).coverage(), evaluation.coverageAt(threshold).accuracy());
        if (evaluation.unknownGold() > 0) {
            System.out.printf(Locale.ROOT, "  %d texts have gold labels the model does not know: counted as errors%n",
                    evaluation.unknownGold());
        }
        evaluation.perClass().forEach((label, f) -> System.out.printf(Locale.ROOT,
                "  %-40s precision %.3f  recall %.3f  f1 %.3f  support %d%n", label, f.precision(), f.recall(), f.f1(),
                f.support()));
        Path report = Report.write(reportDir, modelName, manifest, data.toString(), evaluation, threshold);
        System.out.println("Report: " + report);
        if (json) {
            System.out.println(toJson(modelName, evaluation, threshold));
        }
    }

    static String toJson(String modelName, Evaluation evaluation) {
        return toJson(modelName, evaluation, 0.5);
    }

    static String toJson(String modelName, Evaluation evaluation, double threshold) {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = mapper.createObjectNode();
        root.put("model", modelName);
        root.put("n", evaluation.count());
        root.put("accuracy", evaluation.accuracy());
        root.put("macro_f1", evaluation.macroF1());
        root.put("unknown_gold_labels", evaluation.unknownGold());
        root.put("ece", evaluation.expectedCalibrationError(CALIBRATION_BINS));
        root.put("threshold", threshold);
        Evaluation.CoveragePoint atThreshold = evaluation.coverageAt(threshold);
        root.put("coverage_at_threshold", atThreshold.coverage());
        root.put("accuracy_at_threshold", atThreshold.accuracy());
        ObjectNode perClass = root.putObject("per_class");
        evaluation.perClass().forEach((label, f) -> perClass.putObject(label)
                .put("precision", f.precision()).put("recall", f.recall()).put("f1", f.f1()).put("support", f.support()));
        ArrayNode coverage = root.putArray("coverage");
        for (Evaluation.CoveragePoint point : evaluation.coverage()) {
            coverage.addObject().put("threshold", point.threshold()).put("coverage", point.coverage())
                    .put("accuracy", point.accuracy());
        }
        return root.toString();
    }

    /** The Markdown report with its PNG plots. */
    static final class Report {
        private Report() {}

        /** Writes {@code DIR/report.md} and its plots; returns the report's path. */
        static Path write(Path dir, String modelName, ModelManifest manifest, String dataName, Evaluation evaluation,
                double threshold) throws IOException {
            Files.createDirectories(dir);
            StringBuilder md = new StringBuilder();
            md.append("# ").append(modelName).append(" on ").append(dataName).append("\n\n");
            if (manifest != null) {
                md.append(String.format(Locale.ROOT, "Model %s %s, encoder %s, %d labels, review threshold %.2f.%n%n",
                        manifest.name, manifest.version, manifest.encoder, manifest.labels.size(), threshold));
            }
            Evaluation.CoveragePoint kept = evaluation.coverageAt(threshold);
            md.append("| figure | value |\n|---|---|\n");
            md.append(String.format(Locale.ROOT, "| texts | %,d |%n", evaluation.count()));
            md.append(String.format(Locale.ROOT, "| accuracy | %.4f |%n", evaluation.accuracy()));
            md.append(String.format(Locale.ROOT, "| macro-F1 | %.4f |%n", evaluation.macroF1()));
            md.append(String.format(Locale.ROOT, "| expected calibration error (%d bins) | %.4f |%n",
                    CALIBRATION_BINS, evaluation.expectedCalibrationError(CALIBRATION_BINS)));
            md.append(String.format(Locale.ROOT, "| kept at threshold %.2f | %.1f%% |%n", threshold,
                    100 * kept.coverage()));
            md.append(String.format(Locale.ROOT, "| accuracy of the kept | %.4f |%n", kept.accuracy()));
            md.append(String.format(Locale.ROOT, "| gold labels unknown to the model (errors) | %,d |%n%n",
                    evaluation.unknownGold()));

            md.append("## Per class\n\n| label | precision | recall | F1 | support |\n|---|---|---|---|---|\n");
            evaluation.perClass().forEach((label, f) -> md.append(String.format(Locale.ROOT,
                    "| %s | %.3f | %.3f | %.3f | %d |%n", label, f.precision(), f.recall(), f.f1(), f.support())));

            md.append("\n## Confusion\n\n");
            if (evaluation.labels().size() <= MAX_MATRIX_LABELS) {
                Plots.confusionMatrix(evaluation, modelName + ": confusion matrix", dir.resolve("confusion.png"));
                md.append("![confusion matrix](confusion.png)\n\n");
                md.append(confusionTable(evaluation));
            } else {
                md.append(topConfusions(evaluation, 15));
            }

            md.append("\n## Calibration\n\n![reliability diagram](reliability.png)\n\n")
                    .append("| confidence | texts | mean confidence | accuracy |\n|---|---|---|---|\n");
            Plots.reliabilityDiagram(evaluation, CALIBRATION_BINS, modelName + ": reliability",
                    dir.resolve("reliability.png"));
            for (Evaluation.Bin bin : evaluation.reliability(CALIBRATION_BINS)) {
                if (bin.count() > 0) {
                    md.append(String.format(Locale.ROOT, "| %.2f-%.2f | %d | %.3f | %.3f |%n", bin.from(), bin.to(),
                            bin.count(), bin.confidence(), bin.accuracy()));
                }
            }

            md.append("\n## Accuracy vs coverage (abstain under the threshold)\n\n![coverage](coverage.png)\n\n")
                    .append("| threshold | kept | accuracy of the kept |\n|---|---|---|\n");
            Plots.coverageCurve(evaluation, threshold, modelName + ": accuracy vs coverage", dir.resolve("coverage.png"));
            for (Evaluation.CoveragePoint point : evaluation.coverage()) {
                md.append(String.format(Locale.ROOT, "| %.2f | %.1f%% | %.4f |%n", point.threshold(),
                        100 * point.coverage(), point.accuracy()));
            }
            Path report = dir.resolve("report.md");
            Files.writeString(report, md.toString());
            return report;
        }

        private static String confusionTable(Evaluation evaluation) {
            List<String> labels = evaluation.labels();
            StringBuilder md = new StringBuilder("| gold \\ predicted |");
            labels.forEach(label -> md.append(' ').append(label).append(" |"));
            md.append("\n|---|").append("---|".repeat(labels.size())).append('\n');
            long[][] confusion = evaluation.confusion();
            for (int r = 0; r < confusion.length; r++) {
                if (r == labels.size() && evaluation.unknownGold() == 0) {
                    continue;
                }
                md.append("| ").append(r < labels.size() ? labels.get(r) : "(unknown to model)").append(" |");
                for (long value : confusion[r]) {
                    md.append(' ').append(value).append(" |");
                }
                md.append('\n');
            }
            return md.toString();
        }

        private static String topConfusions(Evaluation evaluation, int limit) {
            List<String> labels = evaluation.labels();
            long[][] confusion = evaluation.confusion();
            List<long[]> cells = new java.util.ArrayList<>();
            for (int r = 0; r < confusion.length; r++) {
                for (int c = 0; c < confusion[r].length; c++) {
                    if (r != c && confusion[r][c] > 0) {
                        cells.add(new long[] {confusion[r][c], r, c});
                    }
                }
            }
            cells.sort((a, b) -> Long.compare(b[0], a[0]));
            StringBuilder md = new StringBuilder(String.format(Locale.ROOT,
                    "%d labels: too many for a readable matrix; the %d most frequent confusions:%n%n"
                            + "| gold | predicted | texts |%n|---|---|---|%n", labels.size(), limit));
            for (long[] cell : cells.subList(0, Math.min(limit, cells.size()))) {
                md.append(String.format(Locale.ROOT, "| %s | %s | %d |%n",
                        cell[1] < labels.size() ? labels.get((int) cell[1]) : "(unknown to model)",
                        labels.get((int) cell[2]), cell[0]));
            }
            return md.toString();
        }
    }
}
