package dev.streamclassifier.udf;

import ai.onnxruntime.OrtException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.List;

/**
 * A classifier from a {@link ModelDirectory}: tokenizes a batch of texts, pads them to the longest, runs the ONNX file
 * (encoder + pooling + head + softmax) and returns each text's label probabilities.
 *
 * <p>One instance per task slot. {@link #classify} may be called from one thread at a time; {@link #close()} is
 * idempotent and closes the session and the tokenizer, each even when the other fails.
 */
public final class TextClassifier implements BatchClassifier {
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
        return classify(texts, BatchShape.ONE_BATCH);
    }

    /**
     * Classifies the texts in model calls shaped by {@code shape}: optionally sorted by token length and cut into
     * micro-batches, each padded to its own longest text (or to the model's window, to measure what that costs).
     * Returns results in input order.
     */
    public List<ClassScores> classify(List<String> texts, BatchShape shape) throws OrtException {
        if (texts.isEmpty()) {
            return List.of();
        }
        TextTokenizer.TokenizedText[] tokens = tokenizer.encodeAll(texts);
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
        ClassScores[] scores = new ClassScores[tokens.length];
        for (int from = 0; from < arranged.length; from += step) {
            int to = Math.min(arranged.length, from + step);
            float[][] probabilities = model.run(TokenBatch.pad(arranged, from, to));
            for (int i = from; i < to; i++) {
                scores[order[i]] = new ClassScores(manifest.labels, probabilities[i - from], arranged[i].truncated());
            }
        }
        return java.util.Arrays.asList(scores);
    }

    @Override
    public void close() throws Exception {
        if (!closed) {
            closed = true;
            Closeables.closeAll(model, tokenizer);
        }
    }
}
