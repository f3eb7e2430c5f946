package dev.streamclassifier.models;

import java.util.Random;

/**
 * Multinomial logistic regression with L2 regularisation and balanced class weights, trained by mini-batch Adam on
 * standardised features. The standardisation is folded back into the returned {@link Head}, so the head applies to the
 * raw embeddings the ONNX graph produces.
 */
public final class SoftmaxRegression {
    private final double l2;
    private final int epochs;
    private final double learningRate;
    private final long seed;

    public SoftmaxRegression(double l2, int epochs, double learningRate, long seed) {
        this.l2 = l2;
        this.epochs = epochs;
        this.learningRate = learningRate;
        this.seed = seed;
    }

    public Head train(float[][] features, int[] labels, int classes) {
        int n = features.length;
        int d = features[0].length;
        double[] mean = new double[d];
        double[] scale = new double[d];
        for (float[] row : features) {
            for (int j = 0; j < d; j++) {
                mean[j] += row[j];
            }
        }
        for (int j = 0; j < d; j++) {
            mean[j] /= n;
        }
        for (float[] row : features) {
            for (int j = 0; j < d; j++) {
                double centred = row[j] - mean[j];
                scale[j] += centred * centred;
            }
        }
        for (int j = 0; j < d; j++) {
            scale[j] = Math.sqrt(scale[j] / n) + 1e-6;
        }
        float[][] x = new float[n][d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                x[i][j] = (float) ((features[i][j] - mean[j]) / scale[j]);
            }
        }
        double[] classWeight = balancedWeights(labels, classes);

        double[][] w = new double[classes][d];
        double[] b = new double[classes];
        double[][] mw = new double[classes][d];
        double[][] vw = new double[classes][d];
        double[] mb = new double[classes];
        double[] vb = new double[classes];
        double[][] gw = new double[classes][d];
        double[] gb = new double[classes];
        double[] logits = new double[classes];
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Random random = new Random(seed);
        int batch = 64;
        long step = 0;
        double beta1 = 0.9;
        double beta2 = 0.999;
        long totalSteps = (long) epochs * ((n + batch - 1) / batch);
        for (int epoch = 0; epoch < epochs; epoch++) {
            shuffle(order, random);
            for (int from = 0; from < n; from += batch) {
                int to = Math.min(n, from + batch);
                for (double[] row : gw) {
                    java.util.Arrays.fill(row, 0);
                }
                java.util.Arrays.fill(gb, 0);
                double weightSum = 0;
                for (int k = from; k < to; k++) {
                    int i = order[k];
                    float[] xi = x[i];
                    softmax(w, b, xi, logits);
                    double sampleWeight = classWeight[labels[i]];
                    weightSum += sampleWeight;
                    for (int c = 0; c < classes; c++) {
                        double error = (logits[c] - (c == labels[i] ? 1 : 0)) * sampleWeight;
                        if (error == 0) {
                            continue;
                        }
                        double[] gRow = gw[c];
                        for (int j = 0; j < d; j++) {
                            gRow[j] += error * xi[j];
                        }
                        gb[c] += error;
                    }
                }
                step++;
                // Cosine decay: large steps early, settle at the end.
                double lr = learningRate * 0.5 * (1 + Math.cos(Math.PI * step / totalSteps));
                double correction1 = 1 - Math.pow(beta1, step);
                double correction2 = 1 - Math.pow(beta2, step);
                for (int c = 0; c < classes; c++) {
                    for (int j = 0; j < d; j++) {
                        double g = gw[c][j] / weightSum + l2 * w[c][j];
                        mw[c][j] = beta1 * mw[c][j] + (1 - beta1) * g;
                        vw[c][j] = beta2 * vw[c][j] + (1 - beta2) * g * g;
                        w[c][j] -= lr * (mw[c][j] / correction1) / (Math.sqrt(vw[c][j] / correction2) + 1e-8);
                    }
                    double g = gb[c] / weightSum;
                    mb[c] = beta1 * mb[c] + (1 - beta1) * g;
                    vb[c] = beta2 * vb[c] + (1 - beta2) * g * g;
                    b[c] -= lr * (mb[c] / correction1) / (Math.sqrt(vb[c] / correction2) + 1e-8);
                }
            }
        }
        // Fold standardisation into the head: w.(x - mean)/scale + b = (w/scale).x + (b - w.(mean/scale)).
        float[][] weights = new float[classes][d];
        float[] bias = new float[classes];
        for (int c = 0; c < classes; c++) {
            double shifted = b[c];
            for (int j = 0; j < d; j++) {
                weights[c][j] = (float) (w[c][j] / scale[j]);
                shifted -= w[c][j] * mean[j] / scale[j];
            }
            bias[c] = (float) shifted;
        }
        return new Head(d, weights, bias);
    }

    static double[] balancedWeights(int[] labels, int classes) {
        double[] counts = new double[classes];
        for (int label : labels) {
            counts[label]++;
        }
        double[] weights = new double[classes];
        for (int c = 0; c < classes; c++) {
            weights[c] = counts[c] == 0 ? 0 : labels.length / (classes * counts[c]);
        }
        return weights;
    }

    private static void softmax(double[][] w, double[] b, float[] x, double[] out) {
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < b.length; c++) {
            double sum = b[c];
            double[] row = w[c];
            for (int j = 0; j < x.length; j++) {
                sum += row[j] * x[j];
            }
            out[c] = sum;
            max = Math.max(max, sum);
        }
        double total = 0;
        for (int c = 0; c < b.length; c++) {
            out[c] = Math.exp(out[c] - max);
            total += out[c];
        }
        for (int c = 0; c < b.length; c++) {
            out[c] /= total;
        }
    }

    private static void shuffle(int[] order, Random random) {
        for (int i = order.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int swap = order[i];
            order[i] = order[j];
            order[j] = swap;
        }
    }
}
