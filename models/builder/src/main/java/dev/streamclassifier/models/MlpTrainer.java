package dev.streamclassifier.models;

import java.util.Arrays;
import java.util.Random;

/**
 * A one-hidden-layer perceptron head ({@code softmax(W2 . relu(W1 . x + b1) + b2)}) trained by mini-batch Adam with
 * L2 and balanced class weights on standardised features. The standardisation is folded into {@code W1, b1}, so the
 * returned {@link Head} runs on raw embeddings and exports to ONNX as Gemm, Relu, Gemm.
 */
final class MlpTrainer {
    private static final int BATCH = 64;

    private final int hiddenSize;
    private final double l2;
    private final int epochs;
    private final double learningRate;
    private final long seed;

    MlpTrainer(int hiddenSize, double l2, int epochs, double learningRate, long seed) {
        this.hiddenSize = hiddenSize;
        this.l2 = l2;
        this.epochs = epochs;
        this.learningRate = learningRate;
        this.seed = seed;
    }

    Head train(float[][] features, int[] labels, int classes) {
        int n = features.length;
        int d = features[0].length;
        int h = hiddenSize;
        double[] mean = new double[d];
        double[] scale = new double[d];
        Standardisation.fit(features, mean, scale);
        float[][] x = Standardisation.apply(features, mean, scale);
        double[] classWeight = SoftmaxRegression.balancedWeights(labels, classes);
        Random random = new Random(seed);

        // He initialisation for the ReLU layer, small output layer.
        float[] w1 = new float[h * d];
        float[] b1 = new float[h];
        float[] w2 = new float[classes * h];
        float[] b2 = new float[classes];
        for (int i = 0; i < w1.length; i++) {
            w1[i] = (float) (random.nextGaussian() * Math.sqrt(2.0 / d));
        }
        for (int i = 0; i < w2.length; i++) {
            w2[i] = (float) (random.nextGaussian() * Math.sqrt(1.0 / h));
        }
        Adam adamW1 = new Adam(w1.length);
        Adam adamB1 = new Adam(b1.length);
        Adam adamW2 = new Adam(w2.length);
        Adam adamB2 = new Adam(b2.length);
        float[] gw1 = new float[w1.length];
        float[] gb1 = new float[h];
        float[] gw2 = new float[w2.length];
        float[] gb2 = new float[classes];
        float[] hidden = new float[h];
        float[] p = new float[classes];
        float[] dHidden = new float[h];

        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        long totalSteps = (long) epochs * ((n + BATCH - 1) / BATCH);
        long step = 0;
        for (int epoch = 0; epoch < epochs; epoch++) {
            for (int i = n - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int swap = order[i];
                order[i] = order[j];
                order[j] = swap;
            }
            for (int from = 0; from < n; from += BATCH) {
                int to = Math.min(n, from + BATCH);
                Arrays.fill(gw1, 0);
                Arrays.fill(gb1, 0);
                Arrays.fill(gw2, 0);
                Arrays.fill(gb2, 0);
                double weightSum = 0;
                for (int k = from; k < to; k++) {
                    int i = order[k];
                    float[] xi = x[i];
                    for (int u = 0; u < h; u++) {
                        float sum = b1[u];
                        int row = u * d;
                        for (int j = 0; j < d; j++) {
                            sum += w1[row + j] * xi[j];
                        }
                        hidden[u] = Math.max(0, sum);
                    }
                    float max = Float.NEGATIVE_INFINITY;
                    for (int c = 0; c < classes; c++) {
                        float sum = b2[c];
                        int row = c * h;
                        for (int u = 0; u < h; u++) {
                            sum += w2[row + u] * hidden[u];
                        }
                        p[c] = sum;
                        max = Math.max(max, sum);
                    }
                    float total = 0;
                    for (int c = 0; c < classes; c++) {
                        p[c] = (float) Math.exp(p[c] - max);
                        total += p[c];
                    }
                    float sampleWeight = (float) classWeight[labels[i]];
                    weightSum += sampleWeight;
                    Arrays.fill(dHidden, 0);
                    for (int c = 0; c < classes; c++) {
                        float error = (p[c] / total - (c == labels[i] ? 1 : 0)) * sampleWeight;
                        gb2[c] += error;
                        int row = c * h;
                        for (int u = 0; u < h; u++) {
                            gw2[row + u] += error * hidden[u];
                            dHidden[u] += error * w2[row + u];
                        }
                    }
                    for (int u = 0; u < h; u++) {
                        if (hidden[u] <= 0) {
                            continue;
                        }
                        float g = dHidden[u];
                        gb1[u] += g;
                        int row = u * d;
                        for (int j = 0; j < d; j++) {
                            gw1[row + j] += g * xi[j];
                        }
                    }
                }
                step++;
                double lr = learningRate * 0.5 * (1 + Math.cos(Math.PI * step / totalSteps));
                adamW1.step(w1, gw1, weightSum, l2, lr, step);
                adamB1.step(b1, gb1, weightSum, 0, lr, step);
                adamW2.step(w2, gw2, weightSum, l2, lr, step);
                adamB2.step(b2, gb2, weightSum, 0, lr, step);
            }
        }
        // Fold standardisation into the first layer: w.(x - mean)/scale + b = (w/scale).x + (b - w.(mean/scale)).
        float[][] hiddenWeights = new float[h][d];
        float[] hiddenBias = new float[h];
        for (int u = 0; u < h; u++) {
            double shifted = b1[u];
            for (int j = 0; j < d; j++) {
                hiddenWeights[u][j] = (float) (w1[u * d + j] / scale[j]);
                shifted -= w1[u * d + j] * mean[j] / scale[j];
            }
            hiddenBias[u] = (float) shifted;
        }
        float[][] outputWeights = new float[classes][h];
        for (int c = 0; c < classes; c++) {
            System.arraycopy(w2, c * h, outputWeights[c], 0, h);
        }
        return new Head(d, outputWeights, b2.clone(), hiddenWeights, hiddenBias, null, null, null);
    }

    /** Adam moments for one parameter array. */
    private static final class Adam {
        private final float[] m;
        private final float[] v;

        Adam(int size) {
            m = new float[size];
            v = new float[size];
        }

        void step(float[] parameters, float[] gradientSum, double weightSum, double l2, double lr, long step) {
            double correction1 = 1 - Math.pow(0.9, step);
            double correction2 = 1 - Math.pow(0.999, step);
            for (int i = 0; i < parameters.length; i++) {
                double g = gradientSum[i] / weightSum + l2 * parameters[i];
                m[i] = (float) (0.9 * m[i] + 0.1 * g);
                v[i] = (float) (0.999 * v[i] + 0.001 * g * g);
                parameters[i] -= (float) (lr * (m[i] / correction1) / (Math.sqrt(v[i] / correction2) + 1e-8));
            }
        }
    }

    /** Per-feature mean and standard deviation of the training rows. */
    static final class Standardisation {
        private Standardisation() {}

        static void fit(float[][] features, double[] mean, double[] scale) {
            int n = features.length;
            for (float[] row : features) {
                for (int j = 0; j < mean.length; j++) {
                    mean[j] += row[j];
                }
            }
            for (int j = 0; j < mean.length; j++) {
                mean[j] /= n;
            }
            for (float[] row : features) {
                for (int j = 0; j < mean.length; j++) {
                    double centred = row[j] - mean[j];
                    scale[j] += centred * centred;
                }
            }
            for (int j = 0; j < mean.length; j++) {
                scale[j] = Math.sqrt(scale[j] / n) + 1e-6;
            }
        }

        static float[][] apply(float[][] features, double[] mean, double[] scale) {
            float[][] x = new float[features.length][mean.length];
            for (int i = 0; i < features.length; i++) {
                for (int j = 0; j < mean.length; j++) {
                    x[i][j] = (float) ((features[i][j] - mean[j]) / scale[j]);
                }
            }
            return x;
        }
    }
}
