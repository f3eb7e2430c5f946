package dev.streamclassifier.udf;

import java.util.List;

/**
 * One text's probabilities over a classifier's labels.
 *
 * @param probabilities one per label, in the manifest's order: summing to 1, or for a multi-label model each label's
 *     own probability
 * @param truncated true when the text was longer than the model read: its start, or its first {@code windows} windows
 * @param windows how many windows of the text the scores come from (1 for a text within one window)
 */
public record ClassScores(List<String> labels, float[] probabilities, boolean truncated, int windows) {

    /** Scores of one window. */
    public ClassScores(List<String> labels, float[] probabilities, boolean truncated) {
        this(labels, probabilities, truncated, 1);
    }

    public int bestIndex() {
        int best = 0;
        for (int i = 1; i < probabilities.length; i++) {
            if (probabilities[i] > probabilities[best]) {
                best = i;
            }
        }
        return best;
    }

    public String bestLabel() {
        return labels.get(bestIndex());
    }

    public float bestScore() {
        return probabilities[bestIndex()];
    }
}
