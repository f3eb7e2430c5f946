package dev.streamclassifier.udf;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a classifier is: its name, version, labels, input and output names, token window and the checksum of its ONNX
 * file. Written by the model builder next to {@code model.onnx} as {@code manifest.json}, and checked against the ONNX
 * session when a classifier opens.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public final class ModelManifest implements Serializable {
    private static final long serialVersionUID = 1L;

    /** File name of the manifest inside a model directory. */
    public static final String FILE_NAME = "manifest.json";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public String name;
    public String version;
    public String description;
    /** Id of the sentence encoder the head was trained on, e.g. {@code all-minilm-l6-v2-q}. */
    public String encoder;
    public List<String> labels = new ArrayList<>();
    public List<String> inputNames = new ArrayList<>();
    public String outputName = "probabilities";
    public int maxTokens = 128;
    /**
     * Single-label models: predictions whose top score is under this go to review. Multi-label models: the score a
     * label needs to be predicted, unless {@link #labelThresholds} names it.
     */
    public float threshold = 0.5f;
    /**
     * True when the scores are independent per label (sigmoids, not a softmax): a text can have several labels, or
     * none. Then every label whose score reaches its threshold is predicted.
     */
    public boolean multiLabel;
    /** Multi-label models: thresholds of single labels that differ from {@link #threshold}. */
    public Map<String, Float> labelThresholds = new TreeMap<>();
    /** Multi-label models: what a prediction's label is when no label reaches its threshold. */
    public String noLabel = "none";
    /** Softmax temperature already folded into the head's weights; recorded for reports. */
    public float temperature = 1.0f;
    /** SHA-256 of {@code model.onnx}, hex. Empty in a head's manifest, filled in when the ONNX file is assembled. */
    public String sha256 = "";
    /** Validation figures measured when the head was trained, for reports. */
    public Map<String, Object> metrics = new TreeMap<>();

    public static ModelManifest read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString());
        }
    }

    public static ModelManifest read(InputStream in, String where) throws IOException {
        ModelManifest manifest;
        try {
            manifest = JSON.readValue(in, ModelManifest.class);
        } catch (IOException e) {
            throw new IOException("Cannot parse model manifest " + where + ": " + e.getMessage(), e);
        }
        manifest.validate(where);
        return manifest;
    }

    public void write(Path file) throws IOException {
        JSON.writeValue(file.toFile(), this);
    }

    public ModelManifest copy() {
        return JSON.convertValue(JSON.valueToTree(this), ModelManifest.class);
    }

    /** Checks the fields a classifier cannot run without, naming the file and the field to fix. */
    public void validate(String where) {
        List<String> problems = new ArrayList<>();
        if (name == null || name.isBlank()) {
            problems.add("'name' is missing");
        }
        if (version == null || version.isBlank()) {
            problems.add("'version' is missing");
        }
        if (labels == null || labels.size() < 2) {
            problems.add("'labels' must list at least two classes");
        } else if (labels.stream().distinct().count() != labels.size()) {
            problems.add("'labels' has duplicates");
        }
        if (inputNames == null || !inputNames.contains("input_ids") || !inputNames.contains("attention_mask")) {
            problems.add("'inputNames' must contain input_ids and attention_mask");
        }
        if (maxTokens < 8 || maxTokens > 512) {
            problems.add("'maxTokens' must be between 8 and 512, was " + maxTokens);
        }
        if (!(threshold >= 0f && threshold <= 1f)) {
            problems.add("'threshold' must be between 0 and 1, was " + threshold);
        }
        if (labelThresholds != null && !labelThresholds.isEmpty()) {
            if (!multiLabel) {
                problems.add("'labelThresholds' is only for a multiLabel model");
            }
            labelThresholds.forEach((label, value) -> {
                if (labels == null || !labels.contains(label)) {
                    problems.add("'labelThresholds' names '" + label + "', which is not one of the labels");
                } else if (value == null || !(value >= 0f && value <= 1f)) {
                    problems.add("'labelThresholds' of '" + label + "' must be between 0 and 1, was " + value);
                }
            });
        }
        if (multiLabel && (noLabel == null || noLabel.isBlank() || (labels != null && labels.contains(noLabel)))) {
            problems.add("'noLabel' must be a name that is not one of the labels, was '" + noLabel + "'");
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("Invalid model manifest " + where + ": " + String.join("; ", problems));
        }
    }

    /** The score {@code label} needs to be predicted by a multi-label model. */
    public float thresholdOf(String label) {
        Float own = labelThresholds == null ? null : labelThresholds.get(label);
        return own != null ? own : threshold;
    }

    /**
     * Why one text's scores cannot have come from this model, or null if they can: one score per label, each a
     * probability, and for a single-label model summing to 1. A model that ends in raw logits fails here.
     */
    public String scoreProblem(float[] scores) {
        if (scores.length != labels.size()) {
            return "the model gave " + scores.length + " scores for the manifest's " + labels.size() + " labels";
        }
        float sum = 0;
        for (float score : scores) {
            if (!Float.isFinite(score) || score < 0 || score > 1) {
                return "the model gave a score of " + score + ", not a probability: does the graph end in "
                        + (multiLabel ? "sigmoid" : "softmax") + "? (model-builder import appends it to a "
                        + "model that outputs logits)";
            }
            sum += score;
        }
        if (!multiLabel && Math.abs(sum - 1) > 1e-3) {
            return "the model's scores sum to " + sum + ", not 1: a single-label model ends in softmax (set "
                    + "multiLabel in the manifest if its scores are per-label sigmoids)";
        }
        return null;
    }

    /** The first problem of {@link #scoreProblem(float[])} over several texts' scores, or null. */
    public String scoreProblem(List<ClassScores> scores) {
        for (ClassScores score : scores) {
            String problem = scoreProblem(score.probabilities());
            if (problem != null) {
                return problem;
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return name + " " + version + " (" + labels.size() + " labels, encoder " + encoder + ")";
    }
}
