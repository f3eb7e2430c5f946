package dev.streamclassifier.models;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnxruntime.OrtException;
import dev.streamclassifier.udf.Closeables;
import dev.streamclassifier.udf.ExecutionDevice;
import dev.streamclassifier.udf.ModelDirectory;
import dev.streamclassifier.udf.OnnxTextModel;
import dev.streamclassifier.udf.TextTokenizer;
import dev.streamclassifier.udf.TokenBatch;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Turns texts into sentence embeddings with a frozen encoder (the same pooling graph the assembled classifier runs),
 * batching texts of similar length together. Results can be cached on disk, keyed by encoder and texts, so retraining a
 * head does not embed the same data again.
 */
public final class Embedder implements AutoCloseable {
    private static final int BATCH = 32;

    private final String encoderId;
    private final TextTokenizer tokenizer;
    private final OnnxTextModel model;

    private Embedder(String encoderId, TextTokenizer tokenizer, OnnxTextModel model) {
        this.encoderId = encoderId;
        this.tokenizer = tokenizer;
        this.model = model;
    }

    public static Embedder open(Encoders encoders, String encoderId, int maxTokens, int threads) throws IOException {
        return open(encoderId, OnnxComposer.parse(Files.readAllBytes(encoders.model(encoderId))),
                encoders.tokenizer(encoderId), maxTokens, threads);
    }

    /**
     * An embedder on an encoder graph held in memory (a fine-tuned one); {@code encoderId} names it in the embedding
     * cache, so it must change whenever the weights do.
     */
    static Embedder open(String encoderId, ModelProto encoder, Path tokenizerFile, int maxTokens, int threads)
            throws IOException {
        ModelProto embedder = OnnxComposer.embedder(encoder);
        TextTokenizer tokenizer = TextTokenizer.load(tokenizerFile, maxTokens);
        try {
            OnnxTextModel model = OnnxTextModel.open(encoderId, embedder.toByteArray(), OnnxComposer.EMBEDDING,
                    threads, ExecutionDevice.CPU);
            return new Embedder(encoderId, tokenizer, model);
        } catch (OrtException | RuntimeException e) {
            tokenizer.close();
            throw new IOException("Cannot open encoder " + encoderId + ": " + e.getMessage(), e);
        }
    }

    /** Embeds every text, using and filling {@code cacheDir} when it is not null. */
    public float[][] embed(List<String> texts, Path cacheDir) throws IOException {
        Path cacheFile = null;
        if (cacheDir != null) {
            cacheFile = cacheDir.resolve(encoderId + "-" + tokenizer.maxTokens() + "-"
                    + ModelDirectory.sha256(String.join("\u0000", texts).getBytes(StandardCharsets.UTF_8))
                            .substring(0, 24) + ".f32");
            if (Files.isRegularFile(cacheFile)) {
                return readCache(cacheFile, texts.size());
            }
        }
        float[][] embeddings = embed(texts);
        if (cacheFile != null) {
            Files.createDirectories(cacheDir);
            writeCache(cacheFile, embeddings);
        }
        return embeddings;
    }

    /** Embeds every text in input order, showing progress on stderr. */
    public float[][] embed(List<String> texts) throws IOException {
        TextTokenizer.TokenizedText[] tokens = tokenizer.encodeAll(texts);
        Integer[] order = new Integer[tokens.length];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, Comparator.comparingInt(i -> tokens[i].length()));
        TextTokenizer.TokenizedText[] sorted = new TextTokenizer.TokenizedText[tokens.length];
        for (int i = 0; i < order.length; i++) {
            sorted[i] = tokens[order[i]];
        }
        float[][] result = new float[texts.size()][];
        Progress progress = new Progress("embedding with " + encoderId, texts.size());
        try {
            for (int from = 0; from < sorted.length; from += BATCH) {
                int to = Math.min(sorted.length, from + BATCH);
                float[][] rows = model.run(TokenBatch.pad(sorted, from, to));
                for (int i = from; i < to; i++) {
                    result[order[i]] = rows[i - from];
                }
                progress.update(to);
            }
        } catch (OrtException e) {
            throw new IOException("Encoder " + encoderId + " failed: " + e.getMessage(), e);
        }
        return result;
    }

    /** The token ids the encoder sees for each text (special tokens included, truncated, unpadded). */
    public long[][] tokenIds(List<String> texts) {
        long[][] ids = new long[texts.size()][];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = tokenizer.encode(texts.get(i)).ids();
        }
        return ids;
    }

    private static float[][] readCache(Path file, int rows) throws IOException {
        try (DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(file)))) {
            int count = in.readInt();
            int width = in.readInt();
            if (count != rows) {
                throw new IOException("Embedding cache " + file + " holds " + count + " rows, expected " + rows
                        + ": delete it");
            }
            float[][] result = new float[count][width];
            for (float[] row : result) {
                for (int j = 0; j < width; j++) {
                    row[j] = in.readFloat();
                }
            }
            return result;
        }
    }

    private static void writeCache(Path file, float[][] embeddings) throws IOException {
        Path temporary = file.resolveSibling(file.getFileName() + ".part");
        try (DataOutputStream out = new DataOutputStream(new java.io.BufferedOutputStream(Files.newOutputStream(temporary)))) {
            out.writeInt(embeddings.length);
            out.writeInt(embeddings.length == 0 ? 0 : embeddings[0].length);
            for (float[] row : embeddings) {
                for (float value : row) {
                    out.writeFloat(value);
                }
            }
        }
        Files.move(temporary, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    @Override
    public void close() throws Exception {
        Closeables.closeAll(model, tokenizer);
    }
}
