package dev.streamclassifier.models;

import dev.streamclassifier.models.LexicalFeatures.SparseVector;
import dev.streamclassifier.udf.LabelledText;
import dev.streamclassifier.udf.ModelManifest;
import dev.streamclassifier.udf.TextTokenizer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;

/**
 * Trains a head on a frozen sentence encoder: reads labelled rows, holds out a stratified validation split (or reads
 * one with {@code --validation}), embeds, fits the head ({@code --head linear} multinomial logistic regression or
 * {@code --head mlp}; {@code --lexical N} appends N word-piece TF-IDF features), calibrates with temperature scaling,
 * optionally fits a fallback rule ({@code --fallback oos}), picks the review threshold, trains the bag-of-words
 * baseline on the same split, and writes {@code OUT/NAME/manifest.json} and {@code head.json}. With
 * {@code --fine-tune lora} the encoder is first fine-tuned on the training rows ({@link EncoderFineTuner}) and its
 * adapters are written beside the head ({@value LoraAdapters#FILE_NAME}); the head is trained on the adapted encoder.
 */
final class TrainCommand {
    private TrainCommand() {}

    /** Everything {@code train} can be told; also used by {@code compare}. */
    record Options(String name, List<String> dataFiles, String validationFile, Map<String, String> labelMap,
            String labelOrder, String encoderId, int maxTokens, Encoders encoders, double validationFraction,
            long seed, String headKind, int hiddenSize, int lexicalFeatures, int epochs, double l2,
            String fallbackLabel, double fallbackRecall, double targetPrecision, boolean baseline, int threads,
            Path cache, String examplesFile, int examplesWeight, EncoderFineTuner.Settings fineTune,
            boolean finalFit) {

        static Options parse(CommandLine line) {
            List<String> dataFiles = line.all("data");
            if (dataFiles.isEmpty()) {
                throw new IllegalArgumentException("--data FILE is required (text,label CSV or JSONL; may repeat)");
            }
            String headKind = line.get("head", "linear");
            if (!headKind.equals("linear") && !headKind.equals("mlp")) {
                throw new IllegalArgumentException("--head must be linear or mlp, was '" + headKind + "'");
            }
            int lexical = line.intValue("lexical", 0);
            long seed = line.intValue("seed", 42);
            int threads = line.intValue("threads", Math.max(1, Runtime.getRuntime().availableProcessors()));
            String tuning = line.get("fine-tune", "none");
            if (!tuning.equals("none") && !tuning.equals("lora")) {
                throw new IllegalArgumentException("--fine-tune must be none (frozen encoder) or lora, was '"
                        + tuning + "'");
            }
            EncoderFineTuner.Settings fineTune = !tuning.equals("lora") ? null : new EncoderFineTuner.Settings(
                    line.intValue("ft-rank", 8), (float) line.doubleValue("ft-alpha", 16),
                    line.intValue("ft-epochs", 3), line.intValue("ft-batch", 32), line.intValue("ft-max-tokens", 64),
                    line.doubleValue("ft-lr", 5e-4), line.doubleValue("ft-head-lr", 1e-3),
                    line.doubleValue("ft-weight-decay", 0.01), 0.06, 1.0, seed, threads);
            if (lexical > 0 && headKind.equals("mlp")) {
                throw new IllegalArgumentException("--lexical needs --head linear: an MLP over thousands of sparse "
                        + "features would not fit in a small head file");
            }
            return new Options(line.get("name", "model"), dataFiles, line.get("validation", null),
                    parseMap(line.get("map", "")), line.get("labels", ""),
                    line.get("encoder", "all-minilm-l6-v2-q"), line.intValue("max-tokens", 128),
                    line.get("encoders", null) == null ? Encoders.besideJarOr(Path.of(DefaultPaths.ENCODERS))
                            : new Encoders(Path.of(line.get("encoders", null))),
                    line.doubleValue("val-fraction", 0.2), seed, headKind,
                    line.intValue("hidden", 256), lexical,
                    line.intValue("epochs", headKind.equals("mlp") ? 20 : lexical > 0 ? 10 : 30),
                    line.doubleValue("l2", headKind.equals("mlp") ? 1e-4 : lexical > 0 ? 1e-6 : 1e-4),
                    line.get("fallback", null), line.doubleValue("fallback-recall", 0.7),
                    line.doubleValue("target-precision", 0.95), !line.flag("no-baseline"),
                    threads, Path.of(line.get("cache", DefaultPaths.EMBEDDING_CACHE)), line.get("examples", null),
                    line.intValue("examples-weight", 20), fineTune, line.flag("final-fit"));
        }

        String headDescription() {
            String kind = headKind.equals("mlp") ? "MLP (" + hiddenSize + " ReLU units)" : "logistic regression";
            return kind + (lexicalFeatures > 0 ? " on embedding + " + lexicalFeatures + " word-piece TF-IDF features"
                    : "") + ", l2 " + l2 + ", balanced class weights, " + epochs + " epochs";
        }
    }

    /** What training produced: the head, its validation figures and the baseline's. */
    record Result(Head head, List<String> labels, double temperature, Evaluation validation,
            Evaluation.CoveragePoint threshold,
            Evaluation baseline, double trainSeconds, int trainCount, Map<String, Object> extra,
            LoraAdapters adapters) {}

    static void run(CommandLine line) throws Exception {
        Options options = Options.parse(line);
        String version = line.get("version", "1.0.0");
        String description = line.get("description", "");
        Path out = Path.of(line.get("out", DefaultPaths.HEADS));
        boolean printConfusion = line.flag("print-confusion");
        if (options.name().equals("model")) {
            throw new IllegalArgumentException("--name is required");
        }
        line.rejectUnknown();

        Result result = train(options);
        if (printConfusion) {
            System.out.print(confusionText(result.validation()));
        }
        ModelManifest manifest = new ModelManifest();
        manifest.name = options.name();
        manifest.version = version;
        manifest.description = description;
        manifest.encoder = options.encoderId();
        manifest.labels = result.labels();
        manifest.inputNames = List.of("input_ids", "attention_mask", "token_type_ids");
        manifest.outputName = OnnxComposer.PROBABILITIES;
        manifest.maxTokens = options.maxTokens();
        manifest.threshold = (float) result.threshold().threshold();
        manifest.temperature = (float) result.temperature();
        manifest.metrics = metrics(options, result);

        Path target = out.resolve(options.name());
        Files.createDirectories(target);
        manifest.write(target.resolve(ModelManifest.FILE_NAME));
        result.head().write(target.resolve(Head.FILE_NAME));
        Path adaptersFile = target.resolve(LoraAdapters.FILE_NAME);
        if (result.adapters() != null) {
            result.adapters().write(adaptersFile);
        } else {
            Files.deleteIfExists(adaptersFile);
        }
        System.out.println(summary(options.name(), result) + " Wrote " + target);
    }

    /** The validation confusion matrix as text: gold rows, predicted columns. */
    static String confusionText(Evaluation evaluation) {
        StringBuilder text = new StringBuilder(String.format(Locale.ROOT, "%-22s", "gold \\ predicted"));
        evaluation.labels().forEach(label -> text.append(String.format(Locale.ROOT, " %10s", label)));
        text.append('\n');
        long[][] confusion = evaluation.confusion();
        for (int r = 0; r < evaluation.labels().size(); r++) {
            text.append(String.format(Locale.ROOT, "%-22s", evaluation.labels().get(r)));
            for (long value : confusion[r]) {
                text.append(String.format(Locale.ROOT, " %10d", value));
            }
            text.append('\n');
        }
        return text.toString();
    }

    static String summary(String name, Result result) {
        StringBuilder text = new StringBuilder(String.format(Locale.ROOT,
                "%s: validation n=%d accuracy %.4f (95%% CI %s) macro-F1 %.4f", name, result.validation().count(),
                result.validation().accuracy(), accuracyInterval(result.validation()),
                result.validation().macroF1()));
        result.extra().forEach((key, value) -> text.append(' ').append(key).append(' ').append(value));
        if (result.baseline() != null) {
            text.append(String.format(Locale.ROOT, "; baseline accuracy %.4f macro-F1 %.4f",
                    result.baseline().accuracy(), result.baseline().macroF1()));
        }
        text.append(String.format(Locale.ROOT, "; threshold %.2f keeps %.1f%% at accuracy %.4f; head trained in %.1f s.",
                result.threshold().threshold(), 100 * result.threshold().coverage(), result.threshold().accuracy(),
                result.trainSeconds()));
        return text.toString();
    }

    /** The 95% Wilson interval of the validation accuracy: how far a figure on n rows can be trusted. */
    static String accuracyInterval(Evaluation evaluation) {
        double n = Math.max(1, evaluation.count());
        double p = evaluation.accuracy();
        double z = 1.96;
        double centre = (p + z * z / (2 * n)) / (1 + z * z / n);
        double half = z * Math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n);
        return String.format(Locale.ROOT, "%.3f-%.3f", centre - half, centre + half);
    }

    private static Map<String, Object> metrics(Options options, Result result) {
        Map<String, Object> metrics = new LinkedHashMap<>();
        metrics.put("validation_n", result.validation().count());
        metrics.put("train_n", result.trainCount());
        metrics.put("validation_accuracy", round(result.validation().accuracy()));
        metrics.put("validation_accuracy_ci95", accuracyInterval(result.validation()));
        metrics.put("validation_macro_f1", round(result.validation().macroF1()));
        result.extra().forEach(metrics::put);
        metrics.put("coverage_at_threshold", round(result.threshold().coverage()));
        metrics.put("accuracy_at_threshold", round(result.threshold().accuracy()));
        if (result.baseline() != null) {
            metrics.put("baseline_accuracy", round(result.baseline().accuracy()));
            metrics.put("baseline_macro_f1", round(result.baseline().macroF1()));
            metrics.put("baseline", "TF-IDF word 1-2-grams + char_wb 3-5-grams, logistic regression, same split");
        }
        metrics.put("head", options.headDescription());
        metrics.put("encoder_tuning", options.fineTune() == null ? "frozen" : options.fineTune().describe());
        metrics.put("validation", options.validationFile() == null
                ? "stratified " + Math.round(100 * options.validationFraction()) + "% of the data, seed " + options.seed()
                : Path.of(options.validationFile()).getFileName().toString());
        metrics.put("head_train_seconds", Math.round(result.trainSeconds() * 10) / 10.0);
        return metrics;
    }

    /** Reads, splits, embeds, trains, calibrates and measures; the heart of {@code train} and {@code compare}. */
    static Result train(Options options) throws Exception {
        List<LabelledText> rows = readAll(options.dataFiles(), options.labelMap());
        int validationStart = rows.size();
        if (options.validationFile() != null) {
            rows.addAll(readAll(List.of(options.validationFile()), options.labelMap()));
        }
        List<String> labels = options.labelOrder().isBlank()
                ? new ArrayList<>(new TreeSet<>(rows.stream().map(LabelledText::label).toList()))
                : Arrays.asList(options.labelOrder().split(","));
        List<String> unknown = rows.stream().map(LabelledText::label).filter(l -> !labels.contains(l)).distinct()
                .toList();
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("Labels " + unknown + " are in the data but not in --labels " + labels
                    + ": add them, or rename them with --map");
        }
        if (options.fallbackLabel() != null && !labels.contains(options.fallbackLabel())) {
            throw new IllegalArgumentException("--fallback " + options.fallbackLabel() + " is not one of the labels");
        }
        System.err.printf(Locale.ROOT, "%s: %,d rows, %d labels, encoder %s, head %s%n", options.name(), rows.size(),
                labels.size(), options.encoderId(), options.headDescription());

        Split split = options.validationFile() == null
                ? Split.stratified(rows, labels, options.validationFraction(), options.seed())
                : Split.given(rows.size(), validationStart);
        List<String> dataTexts = rows.stream().map(LabelledText::text).toList();
        // A create-style YAML's descriptions and examples join the training side only, repeated --examples-weight
        // times so a few hand-written sentences count against thousands of data rows; validation stays data only.
        List<LabelledText> examples = options.examplesFile() == null ? List.of()
                : examplesOf(CreateCommand.Spec.read(Path.of(options.examplesFile())), labels);
        if (!examples.isEmpty()) {
            int first = rows.size();
            rows.addAll(examples);
            int[] train = Arrays.copyOf(split.train, split.train.length + examples.size() * options.examplesWeight());
            for (int k = 0; k < examples.size() * options.examplesWeight(); k++) {
                train[split.train.length + k] = first + k % examples.size();
            }
            split = new Split(train, split.validation);
        }
        List<String> texts = rows.stream().map(LabelledText::text).toList();
        int[] trainY = split.labels(rows, labels, split.train);
        int[] validY = split.labels(rows, labels, split.validation);
        Map<String, Object> extra = new LinkedHashMap<>();
        FineTuned tuned = options.fineTune() == null ? null
                : fineTune(options, texts, split.train, trainY, labels.size(), extra);
        LoraAdapters adapters = tuned == null ? null : tuned.adapters();
        Embedded embedded = embedAll(options, dataTexts, examples, texts, adapters);

        long start = System.nanoTime();
        Head raw = fitRawHead(options, embedded, split.train, trainY, labels.size());
        float[][] allFeatures = new float[rows.size()][];
        for (int i : split.validation) {
            allFeatures[i] = features(options, raw, embedded, i);
        }
        // The head trained with the adapters is the other candidate (same features when there are no lexical ones):
        // the one more accurate on validation is kept, and the final fit keeps that choice.
        boolean keepTunedHead = false;
        if (tuned != null && options.lexicalFeatures() == 0 && options.headKind().equals("linear")) {
            float[][] x = split.select(allFeatures, split.validation);
            double refit = accuracy(raw, x, validY);
            double together = accuracy(tuned.head(), x, validY);
            keepTunedHead = together > refit;
            extra.put("head_choice", String.format(Locale.ROOT, "validation accuracy %.4f for the head trained with "
                    + "the adapters, %.4f for a head refit on the tuned embeddings: kept the %s (chosen on the "
                    + "reported validation rows, so the figure favours it slightly)", together, refit,
                    keepTunedHead ? "first" : "second"));
            if (keepTunedHead) {
                raw = tuned.head();
            }
        }
        float[][] validX = split.select(allFeatures, split.validation);
        double temperature = Calibration.fitTemperature(raw, validX, validY);
        Head head = Calibration.scaled(raw, temperature).rounded(5);
        float fallbackThreshold = 0;
        if (options.fallbackLabel() != null) {
            int fallback = labels.indexOf(options.fallbackLabel());
            fallbackThreshold = pickFallbackThreshold(head, validX, validY, fallback, options.fallbackRecall());
            head = head.withFallback(fallback, fallbackThreshold);
            extra.put("fallback_threshold", round(fallbackThreshold));
        }
        double trainSeconds = (System.nanoTime() - start) / 1e9;

        Evaluation evaluation = new Evaluation(labels);
        for (int i = 0; i < validX.length; i++) {
            float[] p = head.probabilities(validX[i]);
            int best = argmax(p);
            evaluation.add(labels.get(validY[i]), best, p[best]);
        }
        if (options.fallbackLabel() != null) {
            extra.putAll(fallbackFigures(evaluation, labels.indexOf(options.fallbackLabel()), options.fallbackLabel()));
        }
        if (options.dataFiles().size() > 1 && options.validationFile() == null) {
            extra.putAll(bySource(rows, options, split, head, validX, labels));
        }
        Evaluation.CoveragePoint threshold = pickThreshold(evaluation, options.targetPrecision());

        Evaluation baseline = null;
        if (options.baseline()) {
            long baselineStart = System.nanoTime();
            BagOfWordsBaseline bagOfWords = new BagOfWordsBaseline();
            List<String> trainTexts = new ArrayList<>();
            for (int i : split.train) {
                trainTexts.add(texts.get(i));
            }
            bagOfWords.fit(trainTexts, trainY, labels.size(), options.seed());
            baseline = new Evaluation(labels);
            for (int k = 0; k < split.validation.length; k++) {
                baseline.add(labels.get(validY[k]), bagOfWords.predict(texts.get(split.validation[k])));
            }
            System.err.printf(Locale.ROOT, "baseline: %,d n-gram features, trained in %.1f s%n", bagOfWords.features(),
                    (System.nanoTime() - baselineStart) / 1e9);
        }
        int trainCount = split.train.length;
        if (options.finalFit()) {
            // The validation rows chose the settings and calibrated; the shipped model then learns from them too.
            int[] everything = concat(split.train, split.validation);
            int[] allY = split.labels(rows, labels, everything);
            FineTuned finalTuned = adapters == null ? null
                    : fineTune(options, texts, everything, allY, labels.size(), new LinkedHashMap<>());
            LoraAdapters finalAdapters = finalTuned == null ? null : finalTuned.adapters();
            Head finalRaw;
            if (keepTunedHead) {
                finalRaw = finalTuned.head();
            } else {
                Embedded finalEmbedded = adapters == null ? embedded
                        : embedAll(options, dataTexts, examples, texts, finalAdapters);
                finalRaw = fitRawHead(options, finalEmbedded, everything, allY, labels.size());
            }
            head = Calibration.scaled(finalRaw, temperature).rounded(5);
            if (options.fallbackLabel() != null) {
                head = head.withFallback(labels.indexOf(options.fallbackLabel()), fallbackThreshold);
            }
            adapters = finalAdapters;
            extra.put("validation_model_train_n", trainCount);
            trainCount = everything.length;
            extra.put("final_fit", "shipped " + (adapters == null ? "head" : "head and adapters") + " refit on all "
                    + everything.length + " rows (training + validation) with the same settings; temperature and "
                    + "thresholds from the validation run; validation figures are those of the model trained without "
                    + "the validation rows");
        }
        return new Result(head, labels, temperature, evaluation, threshold, baseline, trainSeconds, trainCount, extra,
                adapters);
    }

    /** Embeddings of every row (data, then examples) and, with lexical features, their token ids. */
    private record Embedded(float[][] embeddings, long[][] tokenIds) {}

    private static Embedded embedAll(Options options, List<String> dataTexts, List<LabelledText> examples,
            List<String> texts, LoraAdapters adapters) throws Exception {
        float[][] embeddings = null;
        long[][] tokenIds = null;
        // "a+b" concatenates the embeddings of two encoders (one graph with both at assembly time).
        for (String encoderId : options.encoderId().split("\\+")) {
            try (Embedder embedder = adapters == null
                    ? Embedder.open(options.encoders(), encoderId, options.maxTokens(), options.threads())
                    : Embedder.open(encoderId + "-lora-" + adapters.fingerprint(),
                            adapters.encoderFor(options.encoders(), encoderId), options.encoders().tokenizer(encoderId),
                            options.maxTokens(), options.threads())) {
                // The data's embeddings are cached under the data's texts alone, so adding examples reuses them.
                float[][] part = embedder.embed(dataTexts, options.cache());
                if (!examples.isEmpty()) {
                    float[][] exampleRows = embedder.embed(examples.stream().map(LabelledText::text).toList());
                    part = Arrays.copyOf(part, part.length + exampleRows.length);
                    System.arraycopy(exampleRows, 0, part, part.length - exampleRows.length, exampleRows.length);
                }
                embeddings = embeddings == null ? part : concatRows(embeddings, part);
                if (options.lexicalFeatures() > 0 && tokenIds == null) {
                    tokenIds = embedder.tokenIds(texts);
                }
            }
        }
        return new Embedded(embeddings, tokenIds);
    }

    /** The uncalibrated head fitted on {@code fitRows}. */
    private static Head fitRawHead(Options options, Embedded embedded, int[] fitRows, int[] y, int classes) {
        float[][] x = new float[fitRows.length][];
        for (int k = 0; k < fitRows.length; k++) {
            x[k] = embedded.embeddings()[fitRows[k]];
        }
        if (options.lexicalFeatures() > 0) {
            List<long[]> fitIds = new ArrayList<>();
            for (int i : fitRows) {
                fitIds.add(embedded.tokenIds()[i]);
            }
            LexicalFeatures lexical = LexicalFeatures.fit(fitIds, options.lexicalFeatures(), 2);
            return trainLexicalHead(x, fitIds, lexical, y, classes, options);
        }
        return options.headKind().equals("mlp")
                ? new MlpTrainer(options.hiddenSize(), options.l2(), options.epochs(), 0.001, options.seed())
                        .train(x, y, classes)
                : new SoftmaxRegression(options.l2(), options.epochs(), 0.005, options.seed()).train(x, y, classes);
    }

    /** What the head reads for row {@code i}: the embedding, with the word-piece features when it has them. */
    private static float[] features(Options options, Head raw, Embedded embedded, int i) {
        return options.lexicalFeatures() > 0 ? raw.features(embedded.embeddings()[i], embedded.tokenIds()[i])
                : embedded.embeddings()[i];
    }

    private static int[] concat(int[] a, int[] b) {
        int[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    /** What fine-tuning gives: the adapters and the head trained with them. */
    private record FineTuned(LoraAdapters adapters, Head head) {}

    private static double accuracy(Head head, float[][] x, int[] y) {
        int right = 0;
        for (int i = 0; i < x.length; i++) {
            right += argmax(head.probabilities(x[i])) == y[i] ? 1 : 0;
        }
        return (double) right / Math.max(1, x.length);
    }

    /**
     * Fine-tunes the encoder on {@code trainRows} only (in the validation run, validation stays unseen). The caller then
     * trains the usual head on embeddings of the adapted encoder, computed exactly as the assembled classifier does.
     */
    private static FineTuned fineTune(Options options, List<String> texts, int[] trainRows, int[] trainY,
            int classes, Map<String, Object> extra) throws Exception {
        if (options.encoderId().contains("+")) {
            throw new IllegalArgumentException("--fine-tune works on one encoder, not " + options.encoderId());
        }
        EncoderFineTuner.Settings settings = options.fineTune();
        String fp32 = LoraAdapters.fp32Of(options.encoders(), options.encoderId());
        EncoderWeights weights = EncoderWeights.read(
                OnnxComposer.parse(Files.readAllBytes(options.encoders().model(fp32))));
        long[][] ids = new long[trainRows.length][];
        try (TextTokenizer tokenizer = TextTokenizer.load(options.encoders().tokenizer(options.encoderId()),
                settings.maxTokens())) {
            for (int k = 0; k < trainRows.length; k++) {
                ids[k] = tokenizer.encode(texts.get(trainRows[k])).ids();
            }
        }
        System.err.printf(Locale.ROOT, "fine-tuning %s on %,d rows: %s%n", options.encoderId(), ids.length,
                settings.describe());
        try (EncoderFineTuner tuner = EncoderFineTuner.open(weights, classes, settings)) {
            EncoderFineTuner.Report report = tuner.train(ids, trainY);
            System.err.printf(Locale.ROOT, "fine-tuned in %.0f s (%.0f examples/s); mean loss %.4f in the first "
                    + "epoch, %.4f in the last; %d of %d steps skipped (not finite)%n", report.seconds(),
                    report.examplesPerSecond(), report.firstEpochLoss(), report.lastEpochLoss(),
                    report.skippedSteps(), report.steps());
            extra.put("fine_tune_seconds", Math.round(report.seconds()));
            extra.put("fine_tune_loss_first_epoch", round(report.firstEpochLoss()));
            extra.put("fine_tune_loss_last_epoch", round(report.lastEpochLoss()));
            return new FineTuned(tuner.adapters(), tuner.head());
        }
    }

    /**
     * Logistic regression over [standardised embedding, word-piece TF-IDF] by sparse AdaGrad; the standardisation is
     * folded back so the head runs on the raw embedding the graph produces.
     */
    private static Head trainLexicalHead(float[][] embeddings, List<long[]> tokenIds, LexicalFeatures lexical,
            int[] labels, int classes, Options options) {
        int d = embeddings[0].length;
        double[] mean = new double[d];
        double[] scale = new double[d];
        MlpTrainer.Standardisation.fit(embeddings, mean, scale);
        List<SparseVector> rows = new ArrayList<>(embeddings.length);
        for (int i = 0; i < embeddings.length; i++) {
            SparseVector words = lexical.sparse(tokenIds.get(i));
            int[] indices = new int[d + words.indices().length];
            float[] values = new float[indices.length];
            for (int j = 0; j < d; j++) {
                indices[j] = j;
                // Scaled down so that the dense embedding does not drown the few sparse features in the step sizes.
                values[j] = (float) ((embeddings[i][j] - mean[j]) / scale[j] / Math.sqrt(d));
            }
            for (int k = 0; k < words.indices().length; k++) {
                indices[d + k] = d + words.indices()[k];
                values[d + k] = words.values()[k];
            }
            rows.add(new SparseVector(indices, values));
        }
        SparseSoftmaxRegression.Model model = new SparseSoftmaxRegression(options.l2(), options.epochs(), 0.2,
                options.seed()).train(rows, d + lexical.size(), labels, classes);
        float[][] weights = new float[classes][d + lexical.size()];
        float[] bias = new float[classes];
        for (int c = 0; c < classes; c++) {
            double shifted = model.bias()[c];
            for (int j = 0; j < d; j++) {
                double w = model.weights()[c][j] / Math.sqrt(d);
                weights[c][j] = (float) (w / scale[j]);
                shifted -= w * mean[j] / scale[j];
            }
            System.arraycopy(model.weights()[c], d, weights[c], d, lexical.size());
            bias[c] = (float) shifted;
        }
        return new Head(d + lexical.size(), weights, bias, null, null, lexical, null, null);
    }

    /**
     * The lowest threshold (0.01 grid) at which the fallback class's recall on the validation split reaches
     * {@code minRecall}: every higher threshold costs in-scope accuracy for no required gain.
     */
    static float pickFallbackThreshold(Head head, float[][] features, int[] labels, int fallback, double minRecall) {
        float[][] probabilities = new float[features.length][];
        for (int i = 0; i < features.length; i++) {
            probabilities[i] = head.probabilities(features[i]);
        }
        return pickFallbackThreshold(probabilities, labels, fallback, minRecall);
    }

    static float pickFallbackThreshold(float[][] probabilities, int[] labels, int fallback, double minRecall) {
        for (int step = 0; step <= 95; step++) {
            float threshold = step / 100f;
            long fallbackRows = 0;
            long fallbackHits = 0;
            for (int i = 0; i < probabilities.length; i++) {
                if (labels[i] == fallback) {
                    fallbackRows++;
                    fallbackHits += argmax(Head.applyFallback(probabilities[i], fallback, threshold)) == fallback ? 1 : 0;
                }
            }
            if (fallbackRows == 0 || (double) fallbackHits / fallbackRows >= minRecall) {
                return threshold;
            }
        }
        return 0.95f;
    }

    /** In-scope accuracy (gold not the fallback class) and the fallback class's recall and precision. */
    static Map<String, Object> fallbackFigures(Evaluation evaluation, int fallback, String label) {
        long[][] confusion = evaluation.confusion();
        long inScope = 0;
        long inScopeRight = 0;
        for (int gold = 0; gold < confusion.length - 1; gold++) {
            if (gold == fallback) {
                continue;
            }
            for (int predicted = 0; predicted < confusion[gold].length; predicted++) {
                inScope += confusion[gold][predicted];
            }
            inScopeRight += confusion[gold][gold];
        }
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("in_scope_accuracy", round((double) inScopeRight / Math.max(1, inScope)));
        Evaluation.ClassFigures fallbackFigures = evaluation.perClass().get(label);
        figures.put(label + "_recall", round(fallbackFigures == null ? 0 : fallbackFigures.recall()));
        figures.put(label + "_precision", round(fallbackFigures == null ? 0 : fallbackFigures.precision()));
        return figures;
    }

    /**
     * Validation accuracy per source file, and how often a source's texts get a label that only other sources
     * have: a model that learned "tweet vs SMS" instead of the classes shows it here.
     */
    private static Map<String, Object> bySource(List<LabelledText> rows, Options options, Split split, Head head,
            float[][] validX, List<String> labels) throws Exception {
        Map<String, Object> figures = new LinkedHashMap<>();
        int offset = 0;
        for (String file : options.dataFiles()) {
            int size = readAll(List.of(file), options.labelMap()).size();
            TreeSet<String> ownLabels = new TreeSet<>();
            for (int i = offset; i < offset + size; i++) {
                ownLabels.add(rows.get(i).label());
            }
            long n = 0;
            long right = 0;
            long foreign = 0;
            for (int k = 0; k < split.validation.length; k++) {
                int row = split.validation[k];
                if (row < offset || row >= offset + size) {
                    continue;
                }
                String predicted = labels.get(argmax(head.probabilities(validX[k])));
                n++;
                right += predicted.equals(rows.get(row).label()) ? 1 : 0;
                foreign += ownLabels.contains(predicted) ? 0 : 1;
            }
            String source = Path.of(file).getParent() == null ? file : Path.of(file).getParent().getFileName().toString();
            figures.put("source_" + source + "_accuracy", round((double) right / Math.max(1, n)));
            figures.put("source_" + source + "_foreign_label_rate", round((double) foreign / Math.max(1, n)));
            offset += size;
        }
        return figures;
    }

    /** Each class's description and examples as labelled rows; every class must be one of the labels. */
    static List<LabelledText> examplesOf(CreateCommand.Spec spec, List<String> labels) {
        List<LabelledText> rows = new ArrayList<>();
        for (CreateCommand.ClassSpec c : spec.classes) {
            if (!labels.contains(c.label)) {
                throw new IllegalArgumentException("--examples names class '" + c.label + "', not one of " + labels);
            }
            rows.add(new LabelledText(c.description, c.label));
            c.examples.forEach(example -> rows.add(new LabelledText(example, c.label)));
        }
        return rows;
    }

    private static List<LabelledText> readAll(List<String> files, Map<String, String> labelMap) throws Exception {
        List<LabelledText> rows = new ArrayList<>();
        for (String file : files) {
            // Blank texts are dropped per file, so row offsets per source stay countable (see bySource).
            List<LabelledText> read = new ArrayList<>(LabelledText.read(Path.of(file), labelMap));
            read.removeIf(row -> row.text().isBlank());
            rows.addAll(read);
        }
        return rows;
    }

    /**
     * The lowest threshold (on a 0.05 grid, at least 0.3) at which the validation predictions kept are right at least
     * {@code targetPrecision} of the time, with the coverage and accuracy of the kept ones (as {@code eval} reports
     * them); the highest grid point when none reaches it.
     */
    static Evaluation.CoveragePoint pickThreshold(Evaluation validation, double targetPrecision) {
        Evaluation.CoveragePoint point = null;
        for (int step = 6; step <= 19; step++) {
            point = validation.coverageAt(step / 20.0);
            if (point.accuracy() >= targetPrecision) {
                return point;
            }
        }
        return point;
    }

    static float[][] concatRows(float[][] a, float[][] b) {
        float[][] result = new float[a.length][];
        for (int i = 0; i < a.length; i++) {
            result[i] = Head.concat(a[i], b[i]);
        }
        return result;
    }

    static int argmax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }

    static double round(double value) {
        return Math.round(value * 10000) / 10000.0;
    }

    static Map<String, String> parseMap(String spec) {
        Map<String, String> map = new LinkedHashMap<>();
        for (String pair : spec.split(",")) {
            if (pair.isBlank()) {
                continue;
            }
            String[] parts = pair.split("=", 2);
            if (parts.length != 2) {
                throw new IllegalArgumentException("--map takes from=to pairs separated by commas, got '" + pair + "'");
            }
            map.put(parts[0].trim(), parts[1].trim());
        }
        return map;
    }

    /** Row indices of a train/validation split. */
    static final class Split {
        final int[] train;
        final int[] validation;

        Split(int[] train, int[] validation) {
            this.train = train;
            this.validation = validation;
        }

        /** The same fraction of every label is held out. */
        static Split stratified(List<LabelledText> rows, List<String> labels, double fraction, long seed) {
            Map<String, List<Integer>> byLabel = new LinkedHashMap<>();
            for (String label : labels) {
                byLabel.put(label, new ArrayList<>());
            }
            for (int i = 0; i < rows.size(); i++) {
                byLabel.get(rows.get(i).label()).add(i);
            }
            Random random = new Random(seed);
            List<Integer> train = new ArrayList<>();
            List<Integer> validation = new ArrayList<>();
            for (List<Integer> indices : byLabel.values()) {
                Collections.shuffle(indices, random);
                int held = (int) Math.round(indices.size() * fraction);
                validation.addAll(indices.subList(0, held));
                train.addAll(indices.subList(held, indices.size()));
            }
            return new Split(train.stream().mapToInt(Integer::intValue).toArray(),
                    validation.stream().mapToInt(Integer::intValue).toArray());
        }

        /** Rows before {@code validationStart} train, the rest validate (a validation file given on its own). */
        static Split given(int rows, int validationStart) {
            int[] train = new int[validationStart];
            int[] validation = new int[rows - validationStart];
            Arrays.setAll(train, i -> i);
            Arrays.setAll(validation, i -> validationStart + i);
            return new Split(train, validation);
        }

        float[][] select(float[][] all, int[] indices) {
            float[][] result = new float[indices.length][];
            for (int i = 0; i < indices.length; i++) {
                result[i] = all[indices[i]];
            }
            return result;
        }

        int[] labels(List<LabelledText> rows, List<String> labels, int[] indices) {
            int[] result = new int[indices.length];
            for (int i = 0; i < indices.length; i++) {
                result[i] = labels.indexOf(rows.get(indices[i]).label());
            }
            return result;
        }
    }
}
