package dev.streamclassifier.models;

import dev.streamclassifier.udf.ClassScores;
import dev.streamclassifier.udf.ExecutionDevice;
import dev.streamclassifier.udf.LabelledText;
import dev.streamclassifier.udf.ModelDirectory;
import dev.streamclassifier.udf.TextClassifier;
import dev.streamclassifier.udf.TextTokenizer;
import dev.streamclassifier.udf.WindowPolicy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Measures how a classifier does on texts longer than its window, and what reading them in windows costs against
 * truncation. No labelled long texts are at hand, so it builds them: each labelled passage is buried at the start, in
 * the middle or at the end of filler drawn from another file's harmless texts (for example SMS chatter), about
 * {@code --words} long; the passage's label is the long text's. Every window policy in {@code --policies} (windows ×
 * tokens per window, {@code 1x0} being truncation) reads the same texts; the table gives accuracy overall and by
 * position, tokens run and time per text against truncation's, and a plot of accuracy against cost.
 */
final class LongTextEvalCommand {
    private static final int BATCH = 32;
    private static final String TRUNCATION = "1x0";
    private static final List<String> POSITIONS = List.of("start", "middle", "end");

    private LongTextEvalCommand() {}

    /** One way of reading: its name as given, and the policy. */
    record Reading(String name, WindowPolicy policy) {}

    /** What one reading achieved on the long texts. */
    record Outcome(Reading reading, double accuracy, double macroF1, double[] accuracyByPosition, double tokensPerText,
            double millisPerText, double windowsPerText) {}

    static void run(CommandLine line) throws Exception {
        String modelName = line.required("model");
        Path data = Path.of(line.required("data"));
        Path filler = Path.of(line.required("filler"));
        String fillerLabel = line.get("filler-label", null);
        Map<String, String> labelMap = TrainCommand.parseMap(line.get("map", ""));
        int words = line.intValue("words", 400);
        int count = line.intValue("texts", 300);
        int overlap = line.intValue("overlap", 8);
        long seed = line.intValue("seed", 7);
        WindowPolicy.Aggregation aggregation = WindowPolicy.Aggregation.parse(line.get("aggregation", "mean"));
        String benign = line.get("benign", null);
        List<String> policies = List.of(line.get("policies", "1x0,2x0,3x64,6x32,12x16").split(","));
        String modelsDir = line.get("models-dir", DefaultPaths.ASSEMBLED);
        int threads = line.intValue("threads", Math.max(1, Runtime.getRuntime().availableProcessors()));
        Path reportDir = Path.of(line.get("report", DefaultPaths.REPORTS + "/" + modelName + "/long-texts"));
        line.rejectUnknown();

        List<Reading> readings = new ArrayList<>();
        readings.add(new Reading(TRUNCATION, WindowPolicy.FIRST_WINDOW));
        for (String spec : policies) {
            if (!spec.trim().equals(TRUNCATION)) {
                readings.add(new Reading(spec.trim(), parse(spec.trim(), overlap, aggregation, benign)));
            }
        }
        List<LabelledText> passages = LabelledText.read(data, labelMap);
        List<String> fillers = LabelledText.read(filler, Map.of()).stream()
                .filter(row -> fillerLabel == null || row.label().equals(fillerLabel))
                .map(LabelledText::text).toList();
        if (fillers.isEmpty()) {
            throw new IllegalArgumentException("No filler texts in " + filler + (fillerLabel == null ? ""
                    : " with label '" + fillerLabel + "'") + ": give --filler a file of harmless texts");
        }
        Random random = new Random(seed);
        List<LabelledText> sample = new ArrayList<>(passages);
        Collections.shuffle(sample, random);
        List<LongText> texts = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            LabelledText passage = sample.get(i % sample.size());
            texts.add(bury(passage, i % POSITIONS.size(), fillers, words, random));
        }

        List<Outcome> outcomes = new ArrayList<>();
        double aloneAccuracy;
        ModelDirectory directory = ModelDirectory.locate(modelName, modelsDir);
        try (TextClassifier classifier = TextClassifier.open(directory, threads, ExecutionDevice.CPU);
                TextTokenizer tokenizer = TextTokenizer.load(directory.tokenizerFile(),
                        classifier.manifest().maxTokens)) {
            List<String> labels = classifier.manifest().labels;
            Evaluation alone = new Evaluation(labels);
            for (int from = 0; from < texts.size(); from += BATCH) {
                List<LongText> batch = texts.subList(from, Math.min(texts.size(), from + BATCH));
                List<ClassScores> scores = classifier.classify(batch.stream().map(t -> t.passage().text()).toList());
                for (int i = 0; i < batch.size(); i++) {
                    alone.add(batch.get(i).passage().label(), scores.get(i).bestIndex(), scores.get(i).bestScore());
                }
            }
            System.out.printf(Locale.ROOT, "%s: %d long texts of about %d words (passage at start, middle, end in "
                    + "turn); the passages alone: accuracy %.4f%n", modelName, texts.size(), words, alone.accuracy());
            aloneAccuracy = alone.accuracy();
            for (Reading reading : readings) {
                outcomes.add(measure(classifier, tokenizer, reading, texts, labels));
            }
        }
        Outcome truncation = outcomes.get(0);
        StringBuilder table = new StringBuilder("| reading | accuracy | macro-F1 | start | middle | end | windows | "
                + "tokens run | time per text | cost vs truncation |\n|---|---|---|---|---|---|---|---|---|---|\n");
        for (Outcome outcome : outcomes) {
            table.append(String.format(Locale.ROOT, "| %s | %.4f | %.4f | %.3f | %.3f | %.3f | %.1f | %.0f | %.1f ms "
                            + "| %.2fx |%n", outcome.reading().name(), outcome.accuracy(), outcome.macroF1(),
                    outcome.accuracyByPosition()[0], outcome.accuracyByPosition()[1], outcome.accuracyByPosition()[2],
                    outcome.windowsPerText(), outcome.tokensPerText(), outcome.millisPerText(),
                    outcome.millisPerText() / truncation.millisPerText()));
        }
        System.out.print(table);
        Files.createDirectories(reportDir);
        String title = modelName + ": accuracy against cost on long texts";
        Plots.accuracyVsCost(outcomes.stream().map(o -> new Plots.CostPoint(o.reading().name(),
                o.millisPerText() / truncation.millisPerText(), o.accuracy())).toList(), title,
                reportDir.resolve("accuracy-vs-cost.png"));
        String report = "# " + title + "\n\n"
                + String.format(Locale.ROOT, "%d texts of about %d words: a passage of `%s` buried in filler from "
                        + "`%s`%s, at the start, in the middle or at the end in turn (seed %d). Readings are windows x "
                        + "tokens per window (0: the model's window), %d tokens of overlap, %s of the windows%s. "
                        + "The passages alone score %.4f.%n%n", texts.size(), words, data.getFileName(),
                filler.getFileName(), fillerLabel == null ? "" : " labelled " + fillerLabel, seed, overlap,
                aggregation.name().toLowerCase(Locale.ROOT), benign == null ? "" : " (benign label " + benign + ")",
                aloneAccuracy)
                + table + "\n![accuracy against cost](accuracy-vs-cost.png)\n";
        Files.writeString(reportDir.resolve("report.md"), report);
        System.out.println("Report: " + reportDir.resolve("report.md"));
    }

    /** {@code WINDOWSxTOKENS}, for example {@code 6x32}. */
    static WindowPolicy parse(String spec, int overlap, WindowPolicy.Aggregation aggregation, String benign) {
        String[] parts = spec.split("x");
        try {
            return new WindowPolicy(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]), overlap, aggregation,
                    benign);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("--policies takes WINDOWSxTOKENS items such as 6x32 (0 tokens: the "
                    + "model's window), not '" + spec + "': " + e.getMessage(), e);
        }
    }

    /** A long text: the passage, where it sits, and the whole. */
    record LongText(LabelledText passage, int position, String text) {}

    /** Surrounds the passage with filler texts, about {@code words} in all, the passage at the given position. */
    static LongText bury(LabelledText passage, int position, List<String> fillers, int words, Random random) {
        List<String> parts = new ArrayList<>();
        int total = passage.text().split("\\s+").length;
        while (total < words) {
            String text = fillers.get(random.nextInt(fillers.size()));
            parts.add(text);
            total += text.split("\\s+").length;
        }
        int at = switch (position) {
            case 0 -> 0;
            case 1 -> parts.size() / 2;
            default -> parts.size();
        };
        parts.add(at, passage.text());
        return new LongText(passage, position, String.join(" ", parts));
    }

    private static Outcome measure(TextClassifier classifier, TextTokenizer tokenizer, Reading reading,
            List<LongText> texts, List<String> labels) throws Exception {
        WindowPolicy policy = reading.policy();
        // One warm-up batch, so the first reading does not pay for the session's first runs.
        classifier.classify(texts.subList(0, Math.min(BATCH, texts.size())).stream().map(LongText::text).toList(),
                policy);
        Evaluation overall = new Evaluation(labels);
        List<Evaluation> byPosition = POSITIONS.stream().map(p -> new Evaluation(labels)).toList();
        long tokens = 0;
        long windows = 0;
        long nanos = 0;
        Progress progress = new Progress("reading " + reading.name(), texts.size());
        for (int from = 0; from < texts.size(); from += BATCH) {
            List<LongText> batch = texts.subList(from, Math.min(texts.size(), from + BATCH));
            long start = System.nanoTime();
            List<ClassScores> scores = classifier.classify(batch.stream().map(LongText::text).toList(), policy);
            nanos += System.nanoTime() - start;
            for (int i = 0; i < batch.size(); i++) {
                LongText text = batch.get(i);
                ClassScores score = scores.get(i);
                overall.add(text.passage().label(), score.bestIndex(), score.bestScore());
                byPosition.get(text.position()).add(text.passage().label(), score.bestIndex(), score.bestScore());
                windows += score.windows();
                for (TextTokenizer.TokenizedText window : tokenizer.encodeWindows(text.text(), policy.maxWindows(),
                        policy.windowTokens(), policy.overlapTokens())) {
                    tokens += window.length();
                }
            }
            progress.update(from + batch.size());
        }
        double[] positionAccuracy = byPosition.stream().mapToDouble(Evaluation::accuracy).toArray();
        return new Outcome(reading, overall.accuracy(), overall.macroF1(), positionAccuracy,
                (double) tokens / texts.size(), nanos / 1e6 / texts.size(), (double) windows / texts.size());
    }
}
