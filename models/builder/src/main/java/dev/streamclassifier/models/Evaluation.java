package dev.streamclassifier.models;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Classification figures for one model on one labelled set: accuracy, macro-F1, per-class precision/recall/F1, the
 * confusion matrix, and, when the top score of each prediction is given, expected calibration error and
 * accuracy-vs-coverage. A gold label the model does not know counts as an error in accuracy and in its own row.
 */
public final class Evaluation {
    private final List<String> labels;
    /** Rows: gold label index (labels.size() = unknown to the model); columns: predicted label index. */
    private final long[][] confusion;
    private final List<float[]> scored = new ArrayList<>();
    private long total;
    private long correct;

    public Evaluation(List<String> labels) {
        this.labels = List.copyOf(labels);
        this.confusion = new long[labels.size() + 1][labels.size()];
    }

    public void add(String gold, int predicted) {
        int goldIndex = labels.indexOf(gold);
        confusion[goldIndex < 0 ? labels.size() : goldIndex][predicted]++;
        total++;
        if (goldIndex == predicted) {
            correct++;
        }
    }

    /** Adds one prediction with its top score, for calibration and coverage figures. */
    public void add(String gold, int predicted, float score) {
        add(gold, predicted);
        scored.add(new float[] {score, labels.indexOf(gold) == predicted ? 1 : 0});
    }

    public long count() {
        return total;
    }

    public double accuracy() {
        return total == 0 ? 0 : (double) correct / total;
    }

    public long[][] confusion() {
        return confusion;
    }

    public List<String> labels() {
        return labels;
    }

    /** Gold labels in the data that the model does not know (the extra confusion row), counted as errors. */
    public long unknownGold() {
        return Arrays.stream(confusion[labels.size()]).sum();
    }

    /** Per label: precision, recall, f1, support. Labels with no support and no prediction are left out. */
    public Map<String, ClassFigures> perClass() {
        Map<String, ClassFigures> result = new LinkedHashMap<>();
        for (int c = 0; c < labels.size(); c++) {
            long truePositive = confusion[c][c];
            long predicted = 0;
            long support = 0;
            for (long[] row : confusion) {
                predicted += row[c];
            }
            for (long value : confusion[c]) {
                support += value;
            }
            if (support == 0 && predicted == 0) {
                continue;
            }
            double precision = predicted == 0 ? 0 : (double) truePositive / predicted;
            double recall = support == 0 ? 0 : (double) truePositive / support;
            double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            result.put(labels.get(c), new ClassFigures(precision, recall, f1, support));
        }
        return result;
    }

    /** Mean F1 over the labels that occur in the gold data (the usual macro-F1). */
    public double macroF1() {
        double sum = 0;
        int count = 0;
        for (ClassFigures figures : perClass().values()) {
            if (figures.support() > 0) {
                sum += figures.f1();
                count++;
            }
        }
        return count == 0 ? 0 : sum / count;
    }

    /**
     * Reliability bins of equal width over the top score: per bin, count, mean confidence and accuracy. Bin
     * {@code b} holds scores in {@code (b/bins, (b+1)/bins]} (a score of 0 falls in the first).
     */
    public List<Bin> reliability(int bins) {
        long[] counts = new long[bins];
        double[] confidence = new double[bins];
        double[] right = new double[bins];
        for (float[] row : scored) {
            int bin = Math.min(bins - 1, Math.max(0, (int) Math.ceil(row[0] * bins) - 1));
            counts[bin]++;
            confidence[bin] += row[0];
            right[bin] += row[1];
        }
        List<Bin> result = new ArrayList<>(bins);
        for (int b = 0; b < bins; b++) {
            result.add(new Bin((double) b / bins, (double) (b + 1) / bins, counts[b],
                    counts[b] == 0 ? 0 : confidence[b] / counts[b], counts[b] == 0 ? 0 : right[b] / counts[b]));
        }
        return result;
    }

    /** Expected calibration error: the count-weighted mean |accuracy - confidence| over equal-width bins. */
    public double expectedCalibrationError(int bins) {
        if (scored.isEmpty()) {
            return 0;
        }
        double sum = 0;
        for (Bin bin : reliability(bins)) {
            sum += bin.count() * Math.abs(bin.accuracy() - bin.confidence());
        }
        return sum / scored.size();
    }

    /**
     * Accuracy-vs-coverage when predictions under a threshold are abstained from: for each threshold on a 0.05 grid
     * from 0 to 0.95, the share kept and the accuracy of the kept ones (1 when none is kept).
     */
    public List<CoveragePoint> coverage() {
        List<CoveragePoint> points = new ArrayList<>();
        for (int step = 0; step <= 19; step++) {
            points.add(coverageAt(step / 20.0));
        }
        return points;
    }

    public CoveragePoint coverageAt(double threshold) {
        long kept = 0;
        long keptRight = 0;
        for (float[] row : scored) {
            // Compared in float, as the scores are floats: 0.7f must count as at least a 0.7 threshold.
            if (row[0] >= (float) threshold) {
                kept++;
                keptRight += (long) row[1];
            }
        }
        return new CoveragePoint(threshold, scored.isEmpty() ? 0 : (double) kept / scored.size(),
                kept == 0 ? 1 : (double) keptRight / kept);
    }

    /** Precision, recall and F1 of one label, with the number of gold examples. */
    public record ClassFigures(double precision, double recall, double f1, long support) {}

    /** One reliability bin: score range, count, mean top score and accuracy of its predictions. */
    public record Bin(double from, double to, long count, double confidence, double accuracy) {}

    /** Share of predictions kept at a threshold and their accuracy. */
    public record CoveragePoint(double threshold, double coverage, double accuracy) {}
}
