package dev.streamclassifier.models;

/**
 * Temperature scaling (Guo et al. 2017): one scalar T that divides the logits so that the validation split's negative
 * log-likelihood is lowest. Folded into the head, so the ONNX graph needs no extra node.
 */
final class Calibration {
    private Calibration() {}

    /** The temperature in [0.05, 20] that minimises the validation NLL, by golden-section search on log T. */
    static double fitTemperature(Head head, float[][] features, int[] labels) {
        double[][] logits = new double[features.length][];
        for (int i = 0; i < features.length; i++) {
            logits[i] = head.logits(features[i]);
        }
        double low = Math.log(0.05);
        double high = Math.log(20);
        double ratio = (Math.sqrt(5) - 1) / 2;
        for (int iteration = 0; iteration < 60; iteration++) {
            double a = high - ratio * (high - low);
            double b = low + ratio * (high - low);
            if (nll(logits, labels, Math.exp(a)) < nll(logits, labels, Math.exp(b))) {
                high = b;
            } else {
                low = a;
            }
        }
        return Math.exp((low + high) / 2);
    }

    /** The head with its output layer divided by {@code temperature}: works for linear and MLP heads alike. */
    static Head scaled(Head head, double temperature) {
        float[][] weights = new float[head.classes()][];
        float[] bias = new float[head.classes()];
        for (int c = 0; c < head.classes(); c++) {
            weights[c] = new float[head.weights()[c].length];
            for (int j = 0; j < weights[c].length; j++) {
                weights[c][j] = (float) (head.weights()[c][j] / temperature);
            }
            bias[c] = (float) (head.bias()[c] / temperature);
        }
        return head.withOutputLayer(weights, bias);
    }

    private static double nll(double[][] logits, int[] labels, double temperature) {
        double total = 0;
        for (int i = 0; i < logits.length; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (double logit : logits[i]) {
                max = Math.max(max, logit / temperature);
            }
            double sum = 0;
            for (double logit : logits[i]) {
                sum += Math.exp(logit / temperature - max);
            }
            total -= logits[i][labels[i]] / temperature - max - Math.log(sum);
        }
        return total / logits.length;
    }
}
