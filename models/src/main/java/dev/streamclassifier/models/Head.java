package dev.streamclassifier.models;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A trained linear head over sentence embeddings: {@code probabilities = softmax(weights . embedding + bias)}, with
 * feature scaling and calibration temperature already folded into the numbers. Stored as {@code head.json} beside the
 * manifest: small enough for git, and all a fresh clone needs to rebuild the full ONNX classifier.
 *
 * @param weights {@code [classes][inputSize]}
 * @param bias {@code [classes]}
 */
public record Head(int inputSize, float[][] weights, float[] bias) {
    public static final String FILE_NAME = "head.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    public static Head read(Path file) throws IOException {
        Head head = JSON.readValue(file.toFile(), Head.class);
        if (head.weights.length != head.bias.length) {
            throw new IOException(file + ": " + head.weights.length + " weight rows but " + head.bias.length + " biases");
        }
        return head;
    }

    public void write(Path file) throws IOException {
        JSON.writeValue(file.toFile(), this);
    }

    public int classes() {
        return bias.length;
    }

    /** Softmax probabilities for one embedding, as the ONNX graph computes them. */
    public float[] probabilities(float[] embedding) {
        double[] logits = new double[bias.length];
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < logits.length; c++) {
            double sum = bias[c];
            float[] row = weights[c];
            for (int j = 0; j < row.length; j++) {
                sum += row[j] * embedding[j];
            }
            logits[c] = sum;
            max = Math.max(max, sum);
        }
        double total = 0;
        for (int c = 0; c < logits.length; c++) {
            logits[c] = Math.exp(logits[c] - max);
            total += logits[c];
        }
        float[] result = new float[logits.length];
        for (int c = 0; c < logits.length; c++) {
            result[c] = (float) (logits[c] / total);
        }
        return result;
    }
}
