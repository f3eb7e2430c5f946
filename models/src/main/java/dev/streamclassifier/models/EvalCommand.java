package dev.streamclassifier.models;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.streamclassifier.udf.ClassScores;
import dev.streamclassifier.udf.ExecutionDevice;
import dev.streamclassifier.udf.ModelDirectory;
import dev.streamclassifier.udf.TextClassifier;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runs an assembled classifier over a labelled file and reports accuracy, macro-F1 and per-class figures. With
 * {@code --json} the last line printed is one JSON object with {@code n}, {@code accuracy}, {@code macro_f1} and
 * {@code per_class}.
 */
final class EvalCommand {
    private static final int BATCH = 32;

    private EvalCommand() {}

    static void run(CommandLine line) throws Exception {
        String modelName = line.required("model");
        Path data = Path.of(line.required("data"));
        boolean json = line.flag("json");
        String modelsDir = line.get("models-dir", null);
        int threads = line.intValue("threads", Math.max(1, Runtime.getRuntime().availableProcessors()));
        line.rejectUnknown();

        List<LabelledText> rows = LabelledText.read(data, Map.of());
        Evaluation evaluation;
        try (TextClassifier classifier = TextClassifier.open(ModelDirectory.locate(modelName, modelsDir), threads,
                ExecutionDevice.CPU)) {
            evaluation = new Evaluation(classifier.manifest().labels);
            Progress progress = new Progress("classifying " + data.getFileName(), rows.size());
            for (int from = 0; from < rows.size(); from += BATCH) {
                List<LabelledText> batch = rows.subList(from, Math.min(rows.size(), from + BATCH));
                List<ClassScores> scores = classifier.classify(batch.stream().map(LabelledText::text).toList());
                for (int i = 0; i < batch.size(); i++) {
                    evaluation.add(batch.get(i).label(), scores.get(i).bestIndex());
                }
                progress.update(from + batch.size());
            }
        }
        System.out.printf(Locale.ROOT, "%s on %s: n=%d accuracy=%.4f macro-F1=%.4f%n", modelName, data,
                evaluation.count(), evaluation.accuracy(), evaluation.macroF1());
        evaluation.perClass().forEach((label, f) -> System.out.printf(Locale.ROOT,
                "  %-40s precision %.3f  recall %.3f  f1 %.3f  support %d%n", label, f.precision(), f.recall(), f.f1(),
                f.support()));
        if (json) {
            System.out.println(toJson(modelName, evaluation));
        }
    }

    static String toJson(String modelName, Evaluation evaluation) {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = mapper.createObjectNode();
        root.put("model", modelName);
        root.put("n", evaluation.count());
        root.put("accuracy", evaluation.accuracy());
        root.put("macro_f1", evaluation.macroF1());
        ObjectNode perClass = root.putObject("per_class");
        evaluation.perClass().forEach((label, f) -> perClass.putObject(label)
                .put("precision", f.precision()).put("recall", f.recall()).put("f1", f.f1()).put("support", f.support()));
        return root.toString();
    }
}
