package dev.streamclassifier.models;

import dev.streamclassifier.models.LexicalFeatures.SparseVector;

import java.util.List;
import java.util.Random;

/**
 * Multinomial logistic regression over sparse feature rows (hundreds of thousands of n-gram features, a few hundred
 * non-zero per text), trained by per-example AdaGrad with L2 and balanced class weights. AdaGrad's per-feature step
 * sizes cope with features of very different scale and frequency, which plain SGD on TF-IDF does not.
 *
 * <p>Used by the bag-of-words baseline and by heads that append word-piece TF-IDF to the sentence embedding.
 */
final class SparseSoftmaxRegression {
    private final double l2;
    private final int epochs;
    private final double learningRate;
    private final long seed;

    SparseSoftmaxRegression(double l2, int epochs, double learningRate, long seed) {
        this.l2 = l2;
        this.epochs = epochs;
        this.learningRate = learningRate;
        this.seed = seed;
    }

    /** Trained weights: {@code weights[class][feature]} and {@code bias[class]}. */
    record Model(float[][] weights, float[] bias) {
        double[] logits(SparseVector row) {
            double[] out = new double[bias.length];
            for (int c = 0; c < out.length; c++) {
                double sum = bias[c];
                float[] w = weights[c];
                for (int k = 0; k < row.indices().length; k++) {
                    sum += w[row.indices()[k]] * row.values()[k];
                }
                out[c] = sum;
            }
            return out;
        }

        int predict(SparseVector row) {
            double[] logits = logits(row);
            int best = 0;
            for (int c = 1; c < logits.length; c++) {
                if (logits[c] > logits[best]) {
                    best = c;
                }
            }
            return best;
        }
    }

    Model train(List<SparseVector> rows, int featureCount, int[] labels, int classes) {
        // Feature-major layout: one example touches few features, each with all its classes side by side.
        float[] w = new float[featureCount * classes];
        float[] squaredGradients = new float[featureCount * classes];
        double[] b = new double[classes];
        double[] bSquaredGradients = new double[classes];
        double[] classWeight = SoftmaxRegression.balancedWeights(labels, classes);
        double[] p = new double[classes];
        int[] order = new int[rows.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Random random = new Random(seed);
        for (int epoch = 0; epoch < epochs; epoch++) {
            for (int i = order.length - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int swap = order[i];
                order[i] = order[j];
                order[j] = swap;
            }
            for (int i : order) {
                SparseVector row = rows.get(i);
                int[] indices = row.indices();
                float[] values = row.values();
                double max = Double.NEGATIVE_INFINITY;
                for (int c = 0; c < classes; c++) {
                    double sum = b[c];
                    for (int k = 0; k < indices.length; k++) {
                        sum += w[indices[k] * classes + c] * values[k];
                    }
                    p[c] = sum;
                    max = Math.max(max, sum);
                }
                double total = 0;
                for (int c = 0; c < classes; c++) {
                    p[c] = Math.exp(p[c] - max);
                    total += p[c];
                }
                double weight = classWeight[labels[i]];
                for (int c = 0; c < classes; c++) {
                    double error = (p[c] / total - (c == labels[i] ? 1 : 0)) * weight;
                    for (int k = 0; k < indices.length; k++) {
                        int at = indices[k] * classes + c;
                        // L2 applied lazily, only where the example touches: the usual sparse compromise.
                        double g = error * values[k] + l2 * w[at];
                        squaredGradients[at] += (float) (g * g);
                        w[at] -= (float) (learningRate * g / (Math.sqrt(squaredGradients[at]) + 1e-8));
                    }
                    bSquaredGradients[c] += error * error;
                    b[c] -= learningRate * error / (Math.sqrt(bSquaredGradients[c]) + 1e-8);
                }
            }
        }
        float[][] weights = new float[classes][featureCount];
        for (int f = 0; f < featureCount; f++) {
            for (int c = 0; c < classes; c++) {
                weights[c][f] = w[f * classes + c];
            }
        }
        float[] bias = new float[classes];
        for (int c = 0; c < classes; c++) {
            bias[c] = (float) b[c];
        }
        return new Model(weights, bias);
    }
}
