package dev.streamclassifier.models;

import dev.streamclassifier.udf.LabelledText;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Compares encoders on one task: for each {@code --candidates} encoder, the speed of embedding (texts/s on a fixed
 * sample of the data, never cached) and the validation figures of the same head trained on it; and the bag-of-words
 * baseline on the same split. Prints one Markdown table. Takes every {@code train} option except {@code --encoder}.
 */
final class CompareCommand {
    private static final int SPEED_SAMPLE = 1000;

    private CompareCommand() {}

    static void run(CommandLine line) throws Exception {
        List<String> candidates = List.of(line.get("candidates",
                "all-minilm-l6-v2-q,all-minilm-l6-v2,bge-small-en-v1.5-q,e5-small-v2-q").split(","));
        boolean speedOnly = line.flag("speed-only");
        TrainCommand.Options options = TrainCommand.Options.parse(line);
        if (options.fineTune() != null || options.finalFit()) {
            throw new IllegalArgumentException("compare measures frozen encoders side by side; to weigh fine-tuning, "
                    + "run train with and without --fine-tune lora on the same split");
        }
        line.rejectUnknown();

        List<String> sample = speedSample(options);
        if (speedOnly) {
            // Speed alone, e.g. on a quiet machine: the figures move with whatever else runs on the cores.
            for (String encoderId : candidates) {
                System.out.printf(Locale.ROOT, "| %s | %s | %.0f texts/s (%d texts, %d threads) |%n", options.name(),
                        encoderId, speed(withEncoder(options, encoderId, false), sample), sample.size(),
                        options.threads());
            }
            return;
        }
        StringBuilder table = new StringBuilder(String.format(Locale.ROOT,
                "| task | encoder | head | validation n | accuracy | macro-F1 | texts/s (%d texts, %d threads) |%n"
                        + "|---|---|---|---|---|---|---|%n", sample.size(), options.threads()));
        TrainCommand.Result baseline = null;
        for (String encoderId : candidates) {
            TrainCommand.Options candidate = withEncoder(options, encoderId, baseline == null && options.baseline());
            double textsPerSecond = speed(candidate, sample);
            TrainCommand.Result result = TrainCommand.train(candidate);
            if (result.baseline() != null) {
                baseline = result;
            }
            table.append(String.format(Locale.ROOT, "| %s | %s | %s | %d | %.4f | %.4f | %.0f |%n", options.name(),
                    encoderId, options.headDescription().replaceAll(", l2.*", ""), result.validation().count(),
                    result.validation().accuracy(), result.validation().macroF1(), textsPerSecond));
            System.err.println(TrainCommand.summary(options.name() + " / " + encoderId, result));
        }
        if (baseline != null) {
            table.append(String.format(Locale.ROOT, "| %s | (bag-of-words baseline) | TF-IDF + logistic regression "
                            + "| %d | %.4f | %.4f | |%n", options.name(), baseline.baseline().count(),
                    baseline.baseline().accuracy(), baseline.baseline().macroF1()));
        }
        System.out.print(table);
    }

    private static List<String> speedSample(TrainCommand.Options options) throws Exception {
        List<String> texts = new ArrayList<>();
        for (String file : options.dataFiles()) {
            LabelledText.read(Path.of(file), options.labelMap()).forEach(row -> texts.add(row.text()));
        }
        Collections.shuffle(texts, new Random(options.seed()));
        return texts.subList(0, Math.min(SPEED_SAMPLE, texts.size()));
    }

    /** Texts per second embedding the sample in batches of 32 texts of similar length, uncached. */
    static double speed(TrainCommand.Options options, List<String> sample) throws Exception {
        try (Embedder embedder = Embedder.open(options.encoders(), options.encoderId(), options.maxTokens(),
                options.threads())) {
            embedder.embed(sample.subList(0, Math.min(64, sample.size())));
            long start = System.nanoTime();
            embedder.embed(sample);
            return sample.size() / ((System.nanoTime() - start) / 1e9);
        }
    }

    private static TrainCommand.Options withEncoder(TrainCommand.Options o, String encoderId, boolean baseline) {
        return new TrainCommand.Options(o.name(), o.dataFiles(), o.validationFile(), o.labelMap(), o.labelOrder(),
                encoderId, o.maxTokens(), o.encoders(), o.validationFraction(), o.seed(), o.headKind(),
                o.hiddenSize(), o.lexicalFeatures(), o.epochs(), o.l2(), o.fallbackLabel(), o.fallbackRecall(),
                o.targetPrecision(), baseline, o.threads(), o.cache(), o.examplesFile(), o.examplesWeight(),
                o.fineTune(), false);
    }
}
