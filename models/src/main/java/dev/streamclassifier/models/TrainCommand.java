package dev.streamclassifier.models;

import dev.streamclassifier.udf.ModelManifest;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;

/**
 * Trains a head on a frozen sentence encoder: reads labelled rows, holds out a stratified validation split, embeds,
 * fits multinomial logistic regression (L2, balanced class weights), calibrates with temperature scaling, picks the
 * review threshold, and writes {@code OUT/NAME/manifest.json} and {@code head.json}.
 */
final class TrainCommand {
    private TrainCommand() {}

    static void run(CommandLine line) throws Exception {
        String name = line.required("name");
        List<String> dataFiles = line.all("data");
        if (dataFiles.isEmpty()) {
            throw new IllegalArgumentException("--data FILE is required (text,label CSV or JSONL; may repeat)");
        }
        Map<String, String> labelMap = parseMap(line.get("map", ""));
        String labelOrder = line.get("labels", "");
        String encoderId = line.get("encoder", "all-minilm-l6-v2-q");
        int maxTokens = line.intValue("max-tokens", 128);
        String version = line.get("version", "1.0.0");
        String description = line.get("description", "");
        Path out = Path.of(line.get("out", "models/heads"));
        Encoders encoders = line.get("encoders", null) == null
                ? Encoders.besideJarOr(Path.of("models/target/encoders"))
                : new Encoders(Path.of(line.get("encoders", null)));
        double validationFraction = line.doubleValue("val-fraction", 0.2);
        long seed = line.intValue("seed", 42);
        int epochs = line.intValue("epochs", 30);
        double l2 = line.doubleValue("l2", 1e-4);
        double targetPrecision = line.doubleValue("target-precision", 0.95);
        int threads = line.intValue("threads", Math.max(1, Runtime.getRuntime().availableProcessors()));
        Path cache = Path.of(line.get("cache", "models/target/embedding-cache"));
        line.rejectUnknown();

        List<LabelledText> rows = new ArrayList<>();
        for (String file : dataFiles) {
            rows.addAll(LabelledText.read(Path.of(file), labelMap));
        }
        rows.removeIf(row -> row.text().isBlank());
        List<String> labels = labelOrder.isBlank()
                ? new ArrayList<>(new TreeSet<>(rows.stream().map(LabelledText::label).toList()))
                : Arrays.asList(labelOrder.split(","));
        List<String> unknown = rows.stream().map(LabelledText::label).filter(l -> !labels.contains(l)).distinct().toList();
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("Labels " + unknown + " are in the data but not in --labels " + labels
                    + ": add them, or rename them with --map");
        }
        System.err.printf(Locale.ROOT, "%s: %,d rows, %d labels, encoder %s%n", name, rows.size(), labels.size(),
                encoderId);

        Split split = Split.stratified(rows, labels, validationFraction, seed);
        float[][] embeddings;
        try (Embedder embedder = Embedder.open(encoders, encoderId, maxTokens, threads)) {
            embeddings = embedder.embed(rows.stream().map(LabelledText::text).toList(), cache);
        }
        float[][] trainX = split.select(embeddings, split.train);
        int[] trainY = split.labels(rows, labels, split.train);
        float[][] validX = split.select(embeddings, split.validation);
        int[] validY = split.labels(rows, labels, split.validation);

        long start = System.nanoTime();
        Head raw = new SoftmaxRegression(l2, epochs, 0.005, seed).train(trainX, trainY, labels.size());
        double temperature = Calibration.fitTemperature(raw, validX, validY);
        Head head = Calibration.scaled(raw, temperature);
        System.err.printf(Locale.ROOT, "trained in %.1f s, temperature %.3f%n", (System.nanoTime() - start) / 1e9,
                temperature);

        Evaluation evaluation = new Evaluation(labels);
        float[] bestScores = new float[validX.length];
        boolean[] right = new boolean[validX.length];
        for (int i = 0; i < validX.length; i++) {
            float[] p = head.probabilities(validX[i]);
            int best = argmax(p);
            evaluation.add(labels.get(validY[i]), best);
            bestScores[i] = p[best];
            right[i] = best == validY[i];
        }
        double[] thresholdAndCoverage = pickThreshold(bestScores, right, targetPrecision);

        ModelManifest manifest = new ModelManifest();
        manifest.name = name;
        manifest.version = version;
        manifest.description = description;
        manifest.encoder = encoderId;
        manifest.labels = labels;
        manifest.inputNames = List.of("input_ids", "attention_mask", "token_type_ids");
        manifest.outputName = OnnxComposer.PROBABILITIES;
        manifest.maxTokens = maxTokens;
        manifest.threshold = (float) thresholdAndCoverage[0];
        manifest.temperature = (float) temperature;
        Map<String, Object> metrics = new LinkedHashMap<>();
        metrics.put("validation_n", validX.length);
        metrics.put("train_n", trainX.length);
        metrics.put("validation_accuracy", round(evaluation.accuracy()));
        metrics.put("validation_macro_f1", round(evaluation.macroF1()));
        metrics.put("coverage_at_threshold", round(thresholdAndCoverage[1]));
        metrics.put("accuracy_at_threshold", round(thresholdAndCoverage[2]));
        metrics.put("head", "logistic regression, l2 " + l2 + ", balanced class weights, " + epochs + " epochs");
        manifest.metrics = metrics;

        Path target = out.resolve(name);
        Files.createDirectories(target);
        manifest.write(target.resolve(ModelManifest.FILE_NAME));
        head.write(target.resolve(Head.FILE_NAME));
        System.out.printf(Locale.ROOT, "%s: validation accuracy %.4f, macro-F1 %.4f (n=%d); threshold %.2f keeps "
                        + "%.1f%% at accuracy %.4f. Wrote %s%n", name, evaluation.accuracy(), evaluation.macroF1(),
                validX.length, manifest.threshold, 100 * thresholdAndCoverage[1], thresholdAndCoverage[2], target);
    }

    /**
     * The lowest threshold (on a 0.05 grid, at least 0.3) at which the predictions kept are right at least
     * {@code targetPrecision} of the time; returns threshold, coverage and accuracy of the kept ones.
     */
    static double[] pickThreshold(float[] bestScores, boolean[] right, double targetPrecision) {
        double[] last = null;
        for (int step = 6; step <= 19; step++) {
            double threshold = step * 0.05;
            long kept = 0;
            long keptRight = 0;
            for (int i = 0; i < bestScores.length; i++) {
                if (bestScores[i] >= threshold) {
                    kept++;
                    keptRight += right[i] ? 1 : 0;
                }
            }
            double coverage = (double) kept / Math.max(1, bestScores.length);
            double accuracy = kept == 0 ? 1 : (double) keptRight / kept;
            last = new double[] {threshold, coverage, accuracy};
            if (accuracy >= targetPrecision) {
                return last;
            }
        }
        return last;
    }

    private static int argmax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }

    private static double round(double value) {
        return Math.round(value * 10000) / 10000.0;
    }

    static Map<String, String> parseMap(String spec) {
        Map<String, String> map = new LinkedHashMap<>();
        for (String pair : spec.split(",")) {
            if (pair.isBlank()) {
                continue;
            }
            String[] parts = pair.split("=", 2);
            if (parts.length != 2) {
                throw new IllegalArgumentException("--map takes from=to pairs separated by commas, got '" + pair + "'");
            }
            map.put(parts[0].trim(), parts[1].trim());
        }
        return map;
    }

    /** Row indices of a stratified train/validation split: the same fraction of every label is held out. */
    static final class Split {
        final int[] train;
        final int[] validation;

        private Split(int[] train, int[] validation) {
            this.train = train;
            this.validation = validation;
        }

        static Split stratified(List<LabelledText> rows, List<String> labels, double fraction, long seed) {
            Map<String, List<Integer>> byLabel = new LinkedHashMap<>();
            for (String label : labels) {
                byLabel.put(label, new ArrayList<>());
            }
            for (int i = 0; i < rows.size(); i++) {
                byLabel.get(rows.get(i).label()).add(i);
            }
            Random random = new Random(seed);
            List<Integer> train = new ArrayList<>();
            List<Integer> validation = new ArrayList<>();
            for (List<Integer> indices : byLabel.values()) {
                Collections.shuffle(indices, random);
                int held = (int) Math.round(indices.size() * fraction);
                validation.addAll(indices.subList(0, held));
                train.addAll(indices.subList(held, indices.size()));
            }
            return new Split(train.stream().mapToInt(Integer::intValue).toArray(),
                    validation.stream().mapToInt(Integer::intValue).toArray());
        }

        float[][] select(float[][] all, int[] indices) {
            float[][] result = new float[indices.length][];
            for (int i = 0; i < indices.length; i++) {
                result[i] = all[indices[i]];
            }
            return result;
        }

        int[] labels(List<LabelledText> rows, List<String> labels, int[] indices) {
            int[] result = new int[indices.length];
            for (int i = 0; i < indices.length; i++) {
                result[i] = labels.indexOf(rows.get(indices[i]).label());
            }
            return result;
        }
    }
}
