package dev.streamclassifier.models;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.streamclassifier.udf.ClassScores;
import dev.streamclassifier.udf.ExecutionDevice;
import dev.streamclassifier.udf.ModelDirectory;
import dev.streamclassifier.udf.ModelManifest;
import dev.streamclassifier.udf.TextClassifier;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns a model a team already has into a classifier directory the job accepts ({@code model.onnx},
 * {@code tokenizer.json}, {@code manifest.json} with the checksum), then runs a smoke inference on it.
 *
 * <ul>
 *   <li>A Hugging Face sequence-classification export (Optimum's layout: {@code model.onnx} or {@code onnx/model.onnx}
 *       taking {@code input_ids}, {@code attention_mask} and maybe {@code token_type_ids}, with a {@code logits} output;
 *       {@code tokenizer.json}; {@code config.json} with {@code id2label}). Labels come from {@code id2label}; softmax
 *       is appended, or a sigmoid per label when {@code problem_type} is {@code multi_label_classification}.</li>
 *   <li>A sentence-encoder export ({@code last_hidden_state} output) with {@code --head}: a head {@code train} wrote
 *       on the same encoder, assembled on it as the build assembles the bundled models.</li>
 * </ul>
 */
final class ImportCommand {
    static final String CONFIG_FILE = "config.json";
    static final String MULTI_LABEL = "multi_label_classification";
    private static final ObjectMapper JSON = new ObjectMapper();

    private ImportCommand() {}

    static void run(CommandLine line) throws IOException {
        Path from = Path.of(line.required("from"));
        String head = line.get("head", null);
        String name = line.get("name", null);
        String version = line.get("version", null);
        int maxTokens = line.intValue("max-tokens", 128);
        String threshold = line.get("threshold", null);
        Path out = Path.of(line.get("out", DefaultPaths.IMPORTED));
        line.rejectUnknown();
        ModelManifest manifest = head == null
                ? importClassifier(from, name, version == null ? "1.0.0" : version, maxTokens,
                        threshold == null ? null : Float.parseFloat(threshold), out)
                : importWithHead(from, Path.of(head), name, version, out);
        Path target = out.resolve(manifest.name);
        System.out.println("Imported " + manifest + " into " + target);
        System.out.println(smoke(ModelDirectory.of(target)));
        System.out.println("Run the job on it with --classifier.models-dir " + out + " and a task on model '"
                + manifest.name + "', or publish it to a running job with the standalone jar's models publish.");
    }

    /** A Hugging Face sequence-classification export, with softmax or sigmoids appended to its logits. */
    static ModelManifest importClassifier(Path from, String name, String version, int maxTokens, Float threshold,
            Path out) throws IOException {
        JsonNode config = readConfig(from);
        List<String> labels = labels(config, from);
        String problemType = config.path("problem_type").asText("");
        boolean multiLabel = problemType.equals(MULTI_LABEL);
        Path modelFile = modelFile(from);
        ModelProto model = OnnxComposer.parse(Files.readAllBytes(modelFile));
        List<String> inputs = model.getGraph().getInputList().stream().map(ValueInfoProto::getName).toList();
        if (!inputs.contains("input_ids") || !inputs.contains("attention_mask")) {
            throw new IllegalArgumentException(modelFile + " takes " + inputs + "; a text classifier export takes "
                    + "input_ids and attention_mask (and maybe token_type_ids)");
        }
        ModelProto classifier;
        try {
            classifier = OnnxComposer.withActivation(model, "logits", labels.size(), multiLabel);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(modelFile + ": " + e.getMessage() + ". For a sentence encoder "
                    + "(last_hidden_state), give the head to put on it with --head", e);
        }
        ModelManifest manifest = new ModelManifest();
        manifest.name = name != null ? name : from.toAbsolutePath().normalize().getFileName().toString();
        manifest.version = version;
        String source = config.path("_name_or_path").asText("");
        manifest.description = "Imported from " + (source.isEmpty() ? from.getFileName() : source)
                + (config.has("architectures") ? " (" + config.get("architectures").path(0).asText() + ")" : "");
        manifest.encoder = source.isEmpty() ? "imported" : source;
        manifest.labels = labels;
        manifest.inputNames = new ArrayList<>(inputs);
        manifest.outputName = OnnxComposer.PROBABILITIES;
        int positions = config.path("max_position_embeddings").asInt(512);
        manifest.maxTokens = Math.min(maxTokens, Math.min(positions, 512));
        manifest.multiLabel = multiLabel;
        manifest.threshold = threshold != null ? threshold : 0.5f;
        manifest.validate(from.toString());
        AssembleCommand.write(classifier, tokenizer(from), manifest, out.resolve(manifest.name));
        return manifest;
    }

    /** A sentence-encoder export with a head {@code train} wrote, assembled as the build assembles the defaults. */
    static ModelManifest importWithHead(Path from, Path headDir, String name, String version, Path out)
            throws IOException {
        ModelManifest manifest = ModelManifest.read(headDir.resolve(ModelManifest.FILE_NAME));
        if (name != null) {
            manifest.name = name;
        }
        if (version != null) {
            manifest.version = version;
        }
        if (Files.isRegularFile(headDir.resolve(LoraAdapters.FILE_NAME))) {
            throw new IllegalArgumentException(headDir + " was trained with a fine-tuned encoder (it has "
                    + LoraAdapters.FILE_NAME + "): its adapters fit only the encoder it was trained on, so assemble it "
                    + "with 'assemble', not on an imported encoder");
        }
        ModelProto encoder = OnnxComposer.parse(Files.readAllBytes(modelFile(from)));
        return AssembleCommand.assembleOn(headDir, manifest, encoder, tokenizer(from), out.resolve(manifest.name));
    }

    /** Opens the imported directory as the job would and classifies a few texts; fails if the scores are wrong. */
    static String smoke(ModelDirectory directory) throws IOException {
        try (TextClassifier classifier = TextClassifier.open(directory, 1, ExecutionDevice.CPU)) {
            List<String> texts = TextClassifier.SMOKE_TEXTS;
            List<ClassScores> scores = classifier.classify(texts);
            String problem = classifier.manifest().scoreProblem(scores);
            if (problem != null) {
                throw new IllegalStateException("The imported model does not classify: " + problem);
            }
            StringBuilder report = new StringBuilder("Smoke inference:");
            for (int i = 0; i < texts.size(); i++) {
                String text = texts.get(i).length() > 40 ? texts.get(i).substring(0, 40) + "..." : texts.get(i);
                report.append(String.format("%n  %-45s %s %.3f", '"' + text + '"', scores.get(i).bestLabel(),
                        scores.get(i).bestScore()));
            }
            return report.toString();
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("The imported model does not open: " + e.getMessage(), e);
        }
    }

    private static JsonNode readConfig(Path from) throws IOException {
        Path config = from.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(config)) {
            throw new IllegalArgumentException("No " + CONFIG_FILE + " in " + from + ": a Hugging Face export has "
                    + "one with id2label (the labels); for a sentence encoder, give the head with --head");
        }
        return JSON.readTree(config.toFile());
    }

    /** The labels in class order, from {@code id2label}; ids must be 0..n-1. */
    static List<String> labels(JsonNode config, Path from) {
        JsonNode id2label = config.path("id2label");
        if (!id2label.isObject() || id2label.size() < 2) {
            throw new IllegalArgumentException(from.resolve(CONFIG_FILE) + " has no id2label with two or more "
                    + "labels: it names the classes in the order of the logits");
        }
        Map<Integer, String> byId = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = id2label.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> entry = it.next();
            try {
                byId.put(Integer.parseInt(entry.getKey()), entry.getValue().asText());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("id2label in " + from.resolve(CONFIG_FILE) + " has the key '"
                        + entry.getKey() + "', not a class index");
            }
        }
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < byId.size(); i++) {
            if (!byId.containsKey(i)) {
                throw new IllegalArgumentException("id2label in " + from.resolve(CONFIG_FILE) + " has no class " + i
                        + "; its ids must be 0.." + (byId.size() - 1));
            }
            labels.add(byId.get(i));
        }
        return labels;
    }

    /** Optimum writes {@code model.onnx} at the top; transformers.js exports keep it under {@code onnx/}. */
    private static Path modelFile(Path from) {
        for (Path candidate : List.of(from.resolve(ModelDirectory.MODEL_FILE),
                from.resolve("onnx").resolve(ModelDirectory.MODEL_FILE))) {
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        throw new IllegalArgumentException("No " + ModelDirectory.MODEL_FILE + " in " + from + " or its onnx/ folder");
    }

    private static Path tokenizer(Path from) {
        Path tokenizer = from.resolve(ModelDirectory.TOKENIZER_FILE);
        if (!Files.isRegularFile(tokenizer)) {
            throw new IllegalArgumentException("No " + ModelDirectory.TOKENIZER_FILE + " in " + from
                    + ": the job tokenizes with it (save the tokenizer with the export)");
        }
        return tokenizer;
    }
}
