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
        if (texts.isEmpty()) {
            return List.of();
        }
        TextTokenizer.TokenizedText[] tokens = tokenizer.encodeAll(texts);
        float[][] probabilities = model.run(TokenBatch.pad(tokens, 0, tokens.length));
        List<ClassScores> scores = new ArrayList<>(texts.size());
        for (int i = 0; i < tokens.length; i++) {
            scores.add(new ClassScores(manifest.labels, probabilities[i], tokens[i].truncated()));
        }
        return scores;
    }

    @Override
    public void close() throws Exception {
        if (!closed) {
            closed = true;
            Closeables.closeAll(model, tokenizer);
        }
    }
}
