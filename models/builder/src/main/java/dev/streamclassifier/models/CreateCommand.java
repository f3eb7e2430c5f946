package dev.streamclassifier.models;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.streamclassifier.udf.LabelledText;
import dev.streamclassifier.udf.ModelManifest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * A classifier from a task description alone: a YAML file names each class with one sentence and optionally a few
 * examples; each class becomes a prototype in embedding space (the normalised mean of its description's and examples'
 * embeddings), and the head scores a text by {@code scale x cosine(text, prototype)}. That is a linear head, so it
 * assembles into one ONNX file like a trained one.
 *
 * <pre>
 * name: chat-moderation-zero-shot
 * description: Moderates chat messages.
 * scale: 20            # optional: logit scale, i.e. 1 / softmax temperature
 * threshold: 0.5       # optional: review threshold
 * classes:
 *   - label: safe
 *     description: A friendly or neutral chat message.
 *     examples: ["see you at 8", "thanks, that fixed it"]
 *   - label: spam
 *     description: An unsolicited advert, prize or money offer with a link or number to contact.
 * </pre>
 *
 * <p>{@code --benchmark --data FILE --shots 0,8} measures the idea on a labelled set instead: class names become
 * descriptions ({@code --template}), k training examples per class are added, and the prototypes are scored on the
 * same stratified validation split {@code train} holds out.
 */
final class CreateCommand {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private CreateCommand() {}

    /** The YAML task description. */
    @JsonIgnoreProperties(ignoreUnknown = false)
    static final class Spec {
        public String name;
        public String description = "";
        public String version = "1.0.0";
        public String encoder = "all-minilm-l6-v2-q";
        public int maxTokens = 128;
        public float scale = 20f;
        public float threshold = 0.5f;
        public List<ClassSpec> classes = new ArrayList<>();

        static Spec read(Path file) throws IOException {
            Spec spec = YAML.readValue(file.toFile(), Spec.class);
            List<String> problems = new ArrayList<>();
            if (spec.name == null || spec.name.isBlank()) {
                problems.add("'name' is missing");
            }
            if (spec.classes.size() < 2) {
                problems.add("'classes' must list at least two classes");
            }
            for (ClassSpec c : spec.classes) {
                if (c.label == null || c.label.isBlank() || c.description == null || c.description.isBlank()) {
                    problems.add("every class needs a 'label' and a one-sentence 'description'");
                    break;
                }
            }
            if (!problems.isEmpty()) {
                throw new IllegalArgumentException(file + ": " + String.join("; ", problems));
            }
            return spec;
        }
    }

    /** One class of the task: label, one sentence, optional examples. */
    static final class ClassSpec {
        public String label;
        public String description;
        public List<String> examples = new ArrayList<>();

        ClassSpec() {}

        ClassSpec(String label, String description, List<String> examples) {
            this.label = label;
            this.description = description;
            this.examples = examples;
        }
    }

    static void run(CommandLine line) throws Exception {
        if (line.flag("benchmark")) {
            benchmark(line);
            return;
        }
        Path specFile = Path.of(line.required("spec"));
        Path out = Path.of(line.get("out", DefaultPaths.HEADS));
        Encoders encoders = line.get("encoders", null) == null
                ? Encoders.besideJarOr(Path.of(DefaultPaths.ENCODERS))
                : new Encoders(Path.of(line.get("encoders", null)));
        int threads = line.intValue("threads", Math.max(1, Runtime.getRuntime().availableProcessors()));
        line.rejectUnknown();

        Spec spec = Spec.read(specFile);
        Head head;
        try (Embedder embedder = Embedder.open(encoders, spec.encoder, spec.maxTokens, threads)) {
            head = prototypeHead(embedder, spec.classes, spec.scale);
        }
        ModelManifest manifest = new ModelManifest();
        manifest.name = spec.name;
        manifest.version = spec.version;
        manifest.description = spec.description;
        manifest.encoder = spec.encoder;
        manifest.labels = spec.classes.stream().map(c -> c.label).toList();
        manifest.inputNames = List.of("input_ids", "attention_mask", "token_type_ids");
        manifest.outputName = OnnxComposer.PROBABILITIES;
        manifest.maxTokens = spec.maxTokens;
        manifest.threshold = spec.threshold;
        manifest.temperature = 1 / spec.scale;
        Map<String, Object> metrics = new LinkedHashMap<>();
        metrics.put("head", "prototypes from " + specFile.getFileName() + ": scale " + spec.scale
                + " x cosine to each class's mean of description and example embeddings");
        manifest.metrics = metrics;
        Path target = out.resolve(spec.name);
        Files.createDirectories(target);
        manifest.write(target.resolve(ModelManifest.FILE_NAME));
        head.write(target.resolve(Head.FILE_NAME));
        System.out.println("Created " + spec.name + " (" + manifest.labels.size() + " classes) in " + target
                + "; run 'mvn package' (or assemble) to build its ONNX file.");
    }

    /** Weights {@code scale x prototype}: with unit-length embeddings the logits are scaled cosines. */
    static Head prototypeHead(Embedder embedder, List<ClassSpec> classes, float scale) throws IOException {
        float[][] weights = new float[classes.size()][];
        for (int c = 0; c < classes.size(); c++) {
            List<String> texts = new ArrayList<>();
            texts.add(classes.get(c).description);
            texts.addAll(classes.get(c).examples);
            weights[c] = prototype(embedder.embed(texts), scale);
        }
        return new Head(weights[0].length, weights, new float[classes.size()]);
    }

    /** {@code scale x} the unit-length mean of the rows. */
    static float[] prototype(float[][] embeddings, float scale) {
        int d = embeddings[0].length;
        double[] mean = new double[d];
        for (float[] row : embeddings) {
            for (int j = 0; j < d; j++) {
                mean[j] += row[j];
            }
        }
        double norm = 0;
        for (double value : mean) {
            norm += value * value;
        }
        norm = Math.max(Math.sqrt(norm), 1e-12);
        float[] result = new float[d];
        for (int j = 0; j < d; j++) {
            result[j] = (float) (scale * mean[j] / norm);
        }
        return result;
    }

    /** Turns a label such as {@code card_arrival} into the words of a description. */
    static String describe(String label, String template) {
        String words = label.replace('_', ' ').replace('-', ' ').replace("?", "").trim().toLowerCase(Locale.ROOT);
        return template.replace("{label}", words);
    }

    private static void benchmark(CommandLine line) throws Exception {
        Path data = Path.of(line.required("data"));
        String template = line.get("template", "{label}");
        List<Integer> shots = new ArrayList<>();
        for (String k : line.get("shots", "0,8").split(",")) {
            shots.add(Integer.parseInt(k.trim()));
        }
        String encoderId = line.get("encoder", "all-minilm-l6-v2-q");
        long seed = line.intValue("seed", 42);
        double fraction = line.doubleValue("val-fraction", 0.2);
        Encoders encoders = line.get("encoders", null) == null
                ? Encoders.besideJarOr(Path.of(DefaultPaths.ENCODERS))
                : new Encoders(Path.of(line.get("encoders", null)));
        int threads = line.intValue("threads", Math.max(1, Runtime.getRuntime().availableProcessors()));
        Path cache = Path.of(line.get("cache", DefaultPaths.EMBEDDING_CACHE));
        line.rejectUnknown();

        List<LabelledText> rows = LabelledText.read(data, Map.of());
        rows.removeIf(row -> row.text().isBlank());
        List<String> labels = rows.stream().map(LabelledText::label).distinct().sorted().toList();
        TrainCommand.Split split = TrainCommand.Split.stratified(rows, labels, fraction, seed);
        try (Embedder embedder = Embedder.open(encoders, encoderId, 128, threads)) {
            // Same texts in the same order as train embeds them, so the cache is shared with train.
            float[][] embeddings = embedder.embed(rows.stream().map(LabelledText::text).toList(), cache);
            Map<String, List<Integer>> trainByLabel = new LinkedHashMap<>();
            for (int i : split.train) {
                trainByLabel.computeIfAbsent(rows.get(i).label(), l -> new ArrayList<>()).add(i);
            }
            float[][] descriptions = new float[labels.size()][];
            for (int c = 0; c < labels.size(); c++) {
                descriptions[c] = embedder.embed(List.of(describe(labels.get(c), template)))[0];
            }
            for (int k : shots) {
                Random random = new Random(seed);
                float[][] weights = new float[labels.size()][];
                for (int c = 0; c < labels.size(); c++) {
                    List<float[]> members = new ArrayList<>();
                    members.add(descriptions[c]);
                    List<Integer> pool = new ArrayList<>(trainByLabel.getOrDefault(labels.get(c), List.of()));
                    Collections.shuffle(pool, random);
                    for (int i : pool.subList(0, Math.min(k, pool.size()))) {
                        members.add(embeddings[i]);
                    }
                    weights[c] = prototype(members.toArray(float[][]::new), 20f);
                }
                Head head = new Head(weights[0].length, weights, new float[labels.size()]);
                Evaluation evaluation = new Evaluation(labels);
                for (int i : split.validation) {
                    float[] p = head.probabilities(embeddings[i]);
                    int best = TrainCommand.argmax(p);
                    evaluation.add(rows.get(i).label(), best, p[best]);
                }
                System.out.printf(Locale.ROOT, "create on %s, %d-shot (descriptions '%s', encoder %s): validation n=%d "
                                + "accuracy %.4f macro-F1 %.4f%n", data.getParent().getFileName(), k, template, encoderId,
                        evaluation.count(), evaluation.accuracy(), evaluation.macroF1());
            }
        }
    }
}
