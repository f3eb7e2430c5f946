package dev.streamclassifier.models;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Classification figures for one model on one labelled set: accuracy, macro-F1, per-class precision/recall/F1 and the
 * confusion matrix. A gold label the model does not know counts as an error in accuracy and in its own row.
 */
public final class Evaluation {
    private final List<String> labels;
    /** Rows: gold label index (labels.size() = unknown to the model); columns: predicted label index. */
    private final long[][] confusion;
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

    /** Precision, recall and F1 of one label, with the number of gold examples. */
    public record ClassFigures(double precision, double recall, double f1, long support) {}
}
