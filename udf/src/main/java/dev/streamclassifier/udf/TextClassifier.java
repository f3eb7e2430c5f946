package dev.streamclassifier.udf;

import ai.onnxruntime.OrtException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A classifier from a {@link ModelDirectory}: tokenizes a batch of texts, pads them to the longest, runs the ONNX file
 * (encoder + pooling + head + softmax) and returns each text's label probabilities.
 *
 * <p>{@link #classify} may be called from several threads at once: the ONNX Runtime session is thread-safe and the
 * tokenizer keeps no state between calls (slots share one instance, and a model update times the active version beside
 * the running job). {@link #close()} must not overlap a call; it is idempotent and closes the session and the
 * tokenizer, each even when the other fails.
 */
public final class TextClassifier implements BatchClassifier {
    /**
     * Short, medium and long texts of the kinds the job reads, for smoke checks of a model (at start-up, before a live
     * switch, after an import); the long one exercises windows.
     */
    public static final List<String> SMOKE_TEXTS = List.of(
            "ok",
            "thanks, see you tomorrow",
            "My card payment was declined twice today and I need it fixed before Friday.",
            "you are such an idiot, nobody wants you here",
            "WINNER! Claim your free prize now, reply with your bank details",
            "Hello, I would like to know how to change the address on my account. ".repeat(12),
            "Can I get a refund for the duplicate charge on my statement?",
            "lol same");
    private static final Logger LOG = LoggerFactory.getLogger(TextClassifier.class);

    private final ModelManifest manifest;
    private final TextTokenizer tokenizer;
    private final OnnxTextModel model;
    private boolean closed;

    private TextClassifier(ModelManifest manifest, TextTokenizer tokenizer, OnnxTextModel model) {
        this.manifest = manifest;
        this.tokenizer = tokenizer;
        this.model = model;
    }

    /**
     * Opens the classifier, checking the model file's checksum and that its output width equals the number of labels.
     * If opening fails half-way, whatever was opened is closed again.
     */
    public static TextClassifier open(ModelDirectory directory, int intraOpThreads, ExecutionDevice device)
            throws IOException {
        ModelManifest manifest = directory.readManifest();
        byte[] modelBytes = directory.readVerifiedModel(manifest);
        TextTokenizer tokenizer = null;
        OnnxTextModel model = null;
        try {
            tokenizer = TextTokenizer.load(directory.tokenizerFile(), manifest.maxTokens);
            model = OnnxTextModel.open(manifest.name, modelBytes, manifest.outputName, intraOpThreads, device);
            if (model.outputWidth() != manifest.labels.size()) {
                throw new IllegalArgumentException("Model " + manifest.name + " outputs " + model.outputWidth()
                        + " scores but its manifest lists " + manifest.labels.size() + " labels: the manifest "
                        + directory.manifestFile() + " does not belong to this model.onnx");
            }
            LOG.info("Classifier {} {} ready: {} labels, max {} tokens, sha256 {}", manifest.name, manifest.version,
                    manifest.labels.size(), manifest.maxTokens, manifest.sha256);
            return new TextClassifier(manifest, tokenizer, model);
        } catch (OrtException | RuntimeException e) {
            IOException failure = new IOException("Cannot open classifier " + manifest.name + " from " + directory
                    + ": " + e.getMessage(), e);
            try {
                Closeables.closeAll(model, tokenizer);
            } catch (Exception closeFailure) {
                failure.addSuppressed(closeFailure);
            }
            throw failure;
        }
    }

    @Override
    public ModelManifest manifest() {
        return manifest;
    }

    public ExecutionDevice device() {
        return model.device();
    }

    /** Classifies the texts as one batch, padded to the longest. Returns results in input order. */
    @Override
    public List<ClassScores> classify(List<String> texts) throws OrtException {
        return classify(texts, BatchShape.ONE_BATCH, WindowPolicy.FIRST_WINDOW);
    }

    @Override
    public List<ClassScores> classify(List<String> texts, WindowPolicy windows) throws OrtException {
        return classify(texts, BatchShape.ONE_BATCH, windows);
    }

    /** As {@link #classify(List, BatchShape, WindowPolicy)}, reading each text's first window only. */
    public List<ClassScores> classify(List<String> texts, BatchShape shape) throws OrtException {
        return classify(texts, shape, WindowPolicy.FIRST_WINDOW);
    }

    /**
     * Classifies the texts in model calls shaped by {@code shape}: optionally sorted by token length and cut into
     * micro-batches, each padded to its own longest text. A text longer than the model's window is read as the
     * windows {@code windows} allows, which share the model calls with the other texts, and their scores combined.
     * Returns results in input order.
     */
    public List<ClassScores> classify(List<String> texts, BatchShape shape, WindowPolicy windows)
            throws OrtException {
        if (texts.isEmpty()) {
            return List.of();
        }
        List<TextTokenizer.TokenizedText> pieces = new ArrayList<>(texts.size());
        int[] firstPiece = new int[texts.size() + 1];
        for (int t = 0; t < texts.size(); t++) {
            firstPiece[t] = pieces.size();
            pieces.addAll(List.of(tokenizer.encodeWindows(texts.get(t), windows.maxWindows(), windows.windowTokens(),
                    windows.overlapTokens())));
        }
        firstPiece[texts.size()] = pieces.size();
        float[][] probabilities = run(pieces.toArray(TextTokenizer.TokenizedText[]::new), shape);
        int benign = windows.benignLabel() == null ? -1 : manifest.labels.indexOf(windows.benignLabel());
        List<ClassScores> scores = new ArrayList<>(texts.size());
        for (int t = 0; t < texts.size(); t++) {
            int from = firstPiece[t];
            int to = firstPiece[t + 1];
            boolean truncated = pieces.get(to - 1).truncated();
            scores.add(new ClassScores(manifest.labels, combine(probabilities, from, to, windows.aggregation(),
                    benign, manifest.multiLabel), truncated, to - from));
        }
        return scores;
    }

    /**
     * The windows' probabilities of one text as one: their mean, or the window least likely benign; for a multi-label
     * model, max takes each label's highest score, since labels are independent and any window may show one.
     */
    private static float[] combine(float[][] probabilities, int from, int to, WindowPolicy.Aggregation aggregation,
            int benign, boolean multiLabel) {
        if (to - from == 1) {
            return probabilities[from];
        }
        if (aggregation == WindowPolicy.Aggregation.MAX && multiLabel) {
            float[] max = probabilities[from].clone();
            for (int w = from + 1; w < to; w++) {
                for (int c = 0; c < max.length; c++) {
                    max[c] = Math.max(max[c], probabilities[w][c]);
                }
            }
            return max;
        }
        if (aggregation == WindowPolicy.Aggregation.MAX && benign >= 0) {
            int worst = from;
            for (int w = from + 1; w < to; w++) {
                if (probabilities[w][benign] < probabilities[worst][benign]) {
                    worst = w;
                }
            }
            return probabilities[worst];
        }
        float[] mean = new float[probabilities[from].length];
        for (int w = from; w < to; w++) {
            for (int c = 0; c < mean.length; c++) {
                mean[c] += probabilities[w][c] / (to - from);
            }
        }
        return mean;
    }

    /** Runs the model on every piece, in calls shaped by {@code shape}; returns each piece's probabilities. */
    private float[][] run(TextTokenizer.TokenizedText[] tokens, BatchShape shape) throws OrtException {
        int[] order = new int[tokens.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        TextTokenizer.TokenizedText[] arranged = tokens;
        if (shape.sortByLength()) {
            order = java.util.stream.IntStream.range(0, tokens.length).boxed()
                    .sorted(java.util.Comparator.comparingInt(i -> tokens[i].length()))
                    .mapToInt(Integer::intValue).toArray();
            arranged = new TextTokenizer.TokenizedText[tokens.length];
            for (int i = 0; i < order.length; i++) {
                arranged[i] = tokens[order[i]];
            }
        }
        int step = shape.microBatchSize() > 0 ? shape.microBatchSize() : tokens.length;
        float[][] probabilities = new float[tokens.length][];
        for (int from = 0; from < arranged.length; from += step) {
            int to = Math.min(arranged.length, from + step);
            float[][] batch = model.run(TokenBatch.pad(arranged, from, to));
            for (int i = from; i < to; i++) {
                probabilities[order[i]] = batch[i - from];
            }
        }
        return probabilities;
    }

    @Override
    public void close() throws Exception {
        if (!closed) {
            closed = true;
            Closeables.closeAll(model, tokenizer);
        }
    }
}
