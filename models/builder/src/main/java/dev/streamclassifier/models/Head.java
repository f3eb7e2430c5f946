package dev.streamclassifier.models;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A trained head over a sentence embedding, exactly as the assembled ONNX graph computes it:
 * <pre>
 *   features = embedding                      (or [embedding, lexical(tokens)] when {@code lexical} is set)
 *   hidden   = relu(hiddenWeights . features + hiddenBias)   (only when {@code hiddenWeights} is set: an MLP)
 *   p        = softmax(weights . (hidden or features) + bias)
 *   fallback: if max(p) < fallbackThreshold: p[fallbackClass] += max(p), then p /= sum(p)
 * </pre>
 * Feature standardisation and the calibration temperature are folded into the numbers. Stored as {@code head.json}
 * beside the manifest: small enough for git, and all a fresh clone needs to rebuild the full ONNX classifier.
 *
 * <p>The fallback rule is how {@code support-intent} emits {@code oos}: when no other class reaches
 * {@code fallbackThreshold}, the fallback class wins. It is inside the graph, so the job needs no extra rule.
 *
 * @param inputSize width of {@code features}: the embedding width, plus {@code lexical.size()} when set
 * @param weights output layer {@code [classes][inputSize or hidden]}
 * @param bias output bias {@code [classes]}
 * @param hiddenWeights {@code [hidden][inputSize]}, or null for a linear head
 * @param hiddenBias {@code [hidden]}, or null
 * @param lexical word-piece n-gram TF-IDF features appended to the embedding, or null
 * @param fallbackClass index of the class emitted when no class is confident enough, or -1
 * @param fallbackThreshold the confidence under which the fallback class wins
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Head(int inputSize, float[][] weights, float[] bias, float[][] hiddenWeights, float[] hiddenBias,
        LexicalFeatures lexical, Integer fallbackClass, Float fallbackThreshold) {
    public static final String FILE_NAME = "head.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A linear head: softmax(weights . embedding + bias). */
    public Head(int inputSize, float[][] weights, float[] bias) {
        this(inputSize, weights, bias, null, null, null, null, null);
    }

    public static Head read(Path file) throws IOException {
        Head head = JSON.readValue(file.toFile(), Head.class);
        if (head.weights.length != head.bias.length) {
            throw new IOException(file + ": " + head.weights.length + " weight rows but " + head.bias.length + " biases");
        }
        if ((head.hiddenWeights == null) != (head.hiddenBias == null)) {
            throw new IOException(file + ": hiddenWeights and hiddenBias must be both present or both absent");
        }
        return head;
    }

    public void write(Path file) throws IOException {
        JSON.writeValue(file.toFile(), this);
    }

    public int classes() {
        return bias.length;
    }

    /** Width of the sentence embedding this head expects (without lexical features). */
    @JsonIgnore
    public int embeddingSize() {
        return inputSize - (lexical == null ? 0 : lexical.size());
    }

    @JsonIgnore
    public boolean isMlp() {
        return hiddenWeights != null;
    }

    @JsonIgnore
    public boolean hasFallback() {
        return fallbackClass != null && fallbackClass >= 0;
    }

    /** The same head with a fallback rule added (see the class comment). */
    public Head withFallback(int fallbackClass, float threshold) {
        return new Head(inputSize, weights, bias, hiddenWeights, hiddenBias, lexical, fallbackClass, threshold);
    }

    /** The same head with the output layer replaced, e.g. after temperature scaling. */
    public Head withOutputLayer(float[][] newWeights, float[] newBias) {
        return new Head(inputSize, newWeights, newBias, hiddenWeights, hiddenBias, lexical, fallbackClass,
                fallbackThreshold);
    }

    /**
     * The same head with every weight rounded to {@code digits} significant digits: the JSON file shrinks by about a
     * third (a float prints in its shortest exact form), and the change (under 1e-5 relative) is far below what moves
     * a prediction. Figures are measured on the rounded head, so they describe exactly what is committed.
     */
    public Head rounded(int digits) {
        return new Head(inputSize, round(weights, digits), round(bias, digits), round(hiddenWeights, digits),
                round(hiddenBias, digits), lexical, fallbackClass, fallbackThreshold);
    }

    private static float[][] round(float[][] rows, int digits) {
        if (rows == null) {
            return null;
        }
        float[][] result = new float[rows.length][];
        for (int r = 0; r < rows.length; r++) {
            result[r] = round(rows[r], digits);
        }
        return result;
    }

    private static float[] round(float[] values, int digits) {
        if (values == null) {
            return null;
        }
        float[] result = new float[values.length];
        java.math.MathContext context = new java.math.MathContext(digits);
        for (int i = 0; i < values.length; i++) {
            result[i] = new java.math.BigDecimal(values[i]).round(context).floatValue();
        }
        return result;
    }

    /** The input of the output layer: the features themselves, or the hidden ReLU layer of an MLP. */
    public float[] lastLayerInput(float[] features) {
        if (hiddenWeights == null) {
            return features;
        }
        double[] preActivation = affine(hiddenWeights, hiddenBias, features);
        float[] hidden = new float[preActivation.length];
        for (int h = 0; h < hidden.length; h++) {
            hidden[h] = (float) Math.max(0, preActivation[h]);
        }
        return hidden;
    }

    /** Logits of the output layer, before softmax and fallback. */
    public double[] logits(float[] features) {
        return affine(weights, bias, lastLayerInput(features));
    }

    /** {@code weights · input + bias}, one value per row. */
    private static double[] affine(float[][] weights, float[] bias, float[] input) {
        double[] out = new double[bias.length];
        for (int r = 0; r < out.length; r++) {
            double sum = bias[r];
            float[] row = weights[r];
            for (int j = 0; j < row.length; j++) {
                sum += row[j] * input[j];
            }
            out[r] = sum;
        }
        return out;
    }

    /** Probabilities for one feature vector (see {@link #features}), as the ONNX graph computes them. */
    public float[] probabilities(float[] features) {
        double[] logits = logits(features);
        double max = Double.NEGATIVE_INFINITY;
        for (double logit : logits) {
            max = Math.max(max, logit);
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
        return hasFallback() ? applyFallback(result, fallbackClass, fallbackThreshold) : result;
    }

    /**
     * The fallback rule on a probability vector: when no class reaches {@code threshold}, the fallback class gets the
     * top score added to its own and the vector is renormalised, so it wins with a score that still says how unsure
     * the model was. Confident predictions are left exactly as they were, which keeps the head's calibration.
     */
    static float[] applyFallback(float[] probabilities, int fallbackClass, float threshold) {
        float top = 0;
        for (float p : probabilities) {
            top = Math.max(top, p);
        }
        if (top >= threshold) {
            return probabilities;
        }
        float[] result = probabilities.clone();
        result[fallbackClass] += top;
        for (int c = 0; c < result.length; c++) {
            result[c] = result[c] / (1 + top);
        }
        return result;
    }

    /** The head's input for one text: its embedding, with the lexical features of its token ids appended if any. */
    public float[] features(float[] embedding, long[] tokenIds) {
        if (lexical == null) {
            return embedding;
        }
        return concat(embedding, lexical.vector(tokenIds));
    }

    static float[] concat(float[] a, float[] b) {
        float[] result = new float[a.length + b.length];
        System.arraycopy(a, 0, result, 0, a.length);
        System.arraycopy(b, 0, result, a.length, b.length);
        return result;
    }
}
