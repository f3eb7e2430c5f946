package dev.streamclassifier.models;

import ai.onnx.proto.OnnxMl.ModelProto;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Low-rank adapters (LoRA) of a fine-tuned encoder: for each adapted linear layer {@code W[in, out]}, matrices
 * {@code A[in, r]} and {@code B[r, out]} such that the tuned weight is {@code W + (alpha / r) A B}. Only these (a
 * megabyte or two) go into git; {@link #applyTo} merges them into the base encoder's fp32 weights at build time and
 * writes the result in the served encoder's own format (int8 for the {@code -q} encoders).
 */
final class LoraAdapters {
    static final String FILE_NAME = "adapters.bin";
    private static final int MAGIC = 0x4c6f5241; // "LoRA"

    /** The adapter of one linear layer, keyed like {@link EncoderWeights#key}. */
    record Adapter(String key, int in, int out, float[] a, float[] b) {}

    final int rank;
    final float alpha;
    final List<Adapter> adapters;

    LoraAdapters(int rank, float alpha, List<Adapter> adapters) {
        this.rank = rank;
        this.alpha = alpha;
        this.adapters = List.copyOf(adapters);
    }

    float scale() {
        return alpha / rank;
    }

    /** {@code W + scale A B} for one adapter. */
    float[] merged(EncoderWeights.Linear base, Adapter adapter) {
        float[] weight = base.weight().clone();
        int out = base.out();
        float scale = scale();
        for (int i = 0; i < base.in(); i++) {
            for (int k = 0; k < rank; k++) {
                float a = adapter.a()[i * rank + k] * scale;
                if (a == 0f) {
                    continue;
                }
                for (int j = 0; j < out; j++) {
                    weight[i * out + j] += a * adapter.b()[k * out + j];
                }
            }
        }
        return weight;
    }

    /**
     * The served encoder with the adapters merged: {@code fp32} supplies the exact base weights, {@code served} is
     * the encoder the classifier runs (int8 weights are re-quantized with {@link Int8Weights}, fp32 ones written as
     * they are).
     */
    ModelProto applyTo(ModelProto served, EncoderWeights fp32) throws IOException {
        Map<String, EncoderWeights.Linear> merged = new LinkedHashMap<>();
        for (Adapter adapter : adapters) {
            EncoderWeights.Linear base = fp32.linears.get(adapter.key());
            if (base == null || base.in() != adapter.in() || base.out() != adapter.out()) {
                throw new IOException("Adapter " + adapter.key() + " (" + adapter.in() + "x" + adapter.out()
                        + ") does not fit the encoder: retrain it on this encoder");
            }
            merged.put(base.initializer(), new EncoderWeights.Linear(base.initializer(), base.in(), base.out(),
                    merged(base, adapter), base.bias()));
        }
        if (merged.isEmpty()) {
            return served;
        }
        return Int8Weights.isQuantized(served, merged.keySet().iterator().next())
                ? Int8Weights.withWeights(served, merged) : EncoderWeights.withWeights(served, merged);
    }

    /**
     * The encoder a classifier on {@code encoderId} runs once these adapters are merged; the base weights come from
     * the encoder's fp32 original ({@link #fp32Of}).
     */
    ModelProto encoderFor(Encoders encoders, String encoderId) throws IOException {
        ModelProto served = OnnxComposer.parse(Files.readAllBytes(encoders.model(encoderId)));
        String fp32 = fp32Of(encoders, encoderId);
        ModelProto base = fp32.equals(encoderId) ? served : OnnxComposer.parse(Files.readAllBytes(encoders.model(fp32)));
        return applyTo(served, EncoderWeights.read(base));
    }

    /**
     * The fp32 export behind a served encoder: an int8 {@code NAME-q} encoder is quantized from {@code NAME}, which
     * the same Maven artifacts ship; an fp32 encoder is its own.
     */
    static String fp32Of(Encoders encoders, String encoderId) throws IOException {
        if (encoderId.endsWith("-q")) {
            String fp32 = encoderId.substring(0, encoderId.length() - 2);
            if (!Files.isDirectory(encoders.root().resolve(fp32))) {
                throw new IOException("Fine-tuning " + encoderId + " needs its fp32 original '" + fp32 + "' under "
                        + encoders.root() + "; only all-minilm-l6-v2-q has one unpacked (models/builder/pom.xml)");
            }
            return fp32;
        }
        return encoderId;
    }

    /** A short digest of the adapters, to tell encoders with different adapters apart in caches and metadata. */
    String fingerprint() throws IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        write(bytes);
        return dev.streamclassifier.udf.ModelDirectory.sha256(bytes.toByteArray()).substring(0, 12);
    }

    void write(Path file) throws IOException {
        try (java.io.OutputStream out = Files.newOutputStream(file)) {
            write(out);
        }
    }

    private void write(java.io.OutputStream stream) throws IOException {
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(stream))) {
            out.writeInt(MAGIC);
            out.writeInt(rank);
            out.writeFloat(alpha);
            out.writeInt(adapters.size());
            for (Adapter adapter : adapters) {
                out.writeUTF(adapter.key());
                out.writeInt(adapter.in());
                out.writeInt(adapter.out());
                for (float value : adapter.a()) {
                    out.writeFloat(value);
                }
                for (float value : adapter.b()) {
                    out.writeFloat(value);
                }
            }
        }
    }

    static LoraAdapters read(Path file) throws IOException {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            if (in.readInt() != MAGIC) {
                throw new IOException(file + " is not a LoRA adapter file written by train --fine-tune");
            }
            int rank = in.readInt();
            float alpha = in.readFloat();
            int count = in.readInt();
            List<Adapter> adapters = new java.util.ArrayList<>(count);
            for (int n = 0; n < count; n++) {
                String key = in.readUTF();
                int rows = in.readInt();
                int cols = in.readInt();
                float[] a = new float[rows * rank];
                float[] b = new float[rank * cols];
                for (int i = 0; i < a.length; i++) {
                    a[i] = in.readFloat();
                }
                for (int i = 0; i < b.length; i++) {
                    b[i] = in.readFloat();
                }
                adapters.add(new Adapter(key, rows, cols, a, b));
            }
            return new LoraAdapters(rank, alpha, adapters);
        }
    }
}
