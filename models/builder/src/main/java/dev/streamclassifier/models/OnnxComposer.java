package dev.streamclassifier.models;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;

/**
 * Turns a sentence encoder's ONNX graph (inputs {@code input_ids}, {@code attention_mask}, {@code token_type_ids};
 * output {@code last_hidden_state} {@code [batch, seq, hidden]}) into one self-contained ONNX file: masked mean pooling
 * and L2 normalisation ({@link #embedder}), optionally followed by a linear head and softmax ({@link #classifier}).
 * One file means one session, one checksum and nothing to keep in step at run time.
 */
public final class OnnxComposer {
    /** Output of {@link #embedder}: the L2-normalised mean of the token vectors, {@code [batch, hidden]}. */
    public static final String EMBEDDING = "embedding";
    /** Output of {@link #classifier}: softmax probabilities, {@code [batch, classes]}. */
    public static final String PROBABILITIES = "probabilities";

    private static final String HIDDEN_STATE = "last_hidden_state";
    private static final int FLOAT = TensorProto.DataType.FLOAT.getNumber();
    private static final int INT64 = TensorProto.DataType.INT64.getNumber();

    private OnnxComposer() {}

    public static ModelProto parse(byte[] onnxBytes) throws IOException {
        return ModelProto.parseFrom(onnxBytes);
    }

    /** The encoder with pooling appended; its only output is {@value #EMBEDDING}. */
    public static ModelProto embedder(ModelProto encoder) {
        int opset = defaultOpset(encoder);
        GraphProto graph = encoder.getGraph();
        if (graph.getOutputList().stream().noneMatch(o -> o.getName().equals(HIDDEN_STATE))) {
            throw new IllegalArgumentException("Encoder has no '" + HIDDEN_STATE + "' output; outputs are "
                    + graph.getOutputList().stream().map(ValueInfoProto::getName).toList());
        }
        int hidden = hiddenSize(graph);
        GraphProto.Builder builder = graph.toBuilder().clearOutput();
        Nodes nodes = new Nodes(builder, opset);
        nodes.add("Cast", List.of("attention_mask"), "sc_mask_f", intAttr("to", FLOAT));
        nodes.unsqueeze("sc_mask_f", "sc_mask_3d", 2);
        nodes.add("Mul", List.of(HIDDEN_STATE, "sc_mask_3d"), "sc_masked");
        nodes.reduceSum("sc_masked", "sc_summed", 1, false);
        nodes.reduceSum("sc_mask_3d", "sc_counts", 1, false);
        builder.addInitializer(floatTensor("sc_count_floor", new long[0], new float[] {1e-9f}));
        nodes.add("Max", List.of("sc_counts", "sc_count_floor"), "sc_counts_safe");
        nodes.add("Div", List.of("sc_summed", "sc_counts_safe"), "sc_mean");
        l2Normalise(builder, nodes, "sc_mean", "sc", EMBEDDING);
        builder.addOutput(floatMatrix(EMBEDDING, hidden));
        return encoder.toBuilder().setGraph(builder).build();
    }

    /** A linear head: see {@link #classifier(ModelProto, Head, List, Map)}. */
    public static ModelProto classifier(ModelProto encoder, float[][] weights, float[] bias, List<String> labels,
            Map<String, String> metadata) {
        return classifier(encoder, new Head(weights.length == 0 ? 0 : weights[0].length, weights, bias), labels,
                metadata);
    }

    /**
     * The encoder with pooling and the head, ending in softmax; the only output is {@value #PROBABILITIES}. Every
     * part of {@link Head} is a few standard nodes: word-piece TF-IDF ({@code TfIdfVectorizer} on {@code input_ids},
     * idf, L2 norm, {@code Concat} with the embedding), an MLP's {@code Gemm, Relu}, the output {@code Gemm}, {@code
     * Softmax}, and the fallback rule ({@code Gather, Max}, renormalise). Labels, name and version go into the model's
     * metadata so the file explains itself.
     */
    public static ModelProto classifier(ModelProto encoder, Head head, List<String> labels,
            Map<String, String> metadata) {
        ModelProto embedder = embedder(encoder);
        int hidden = hiddenSize(embedder.getGraph());
        int classes = head.classes();
        if (classes != labels.size()) {
            throw new IllegalArgumentException("Head has " + classes + " classes for " + labels.size() + " labels");
        }
        if (head.embeddingSize() != hidden) {
            throw new IllegalArgumentException("Head expects a " + head.embeddingSize() + "-wide embedding but the "
                    + "encoder gives " + hidden + ": was it trained on another encoder?");
        }
        GraphProto.Builder builder = embedder.getGraph().toBuilder().clearOutput();
        Nodes nodes = new Nodes(builder, defaultOpset(encoder));
        String features = EMBEDDING;
        if (head.lexical() != null) {
            features = appendLexical(builder, nodes, head.lexical());
        }
        String lastInput = features;
        if (head.isMlp()) {
            builder.addInitializer(floatTensor("sc_hidden_weight",
                    new long[] {head.hiddenBias().length, head.inputSize()}, flatten(head.hiddenWeights(),
                            head.inputSize())));
            builder.addInitializer(floatTensor("sc_hidden_bias", new long[] {head.hiddenBias().length},
                    head.hiddenBias()));
            nodes.add("Gemm", List.of(features, "sc_hidden_weight", "sc_hidden_bias"), "sc_hidden_linear",
                    intAttr("transB", 1));
            nodes.add("Relu", List.of("sc_hidden_linear"), "sc_hidden");
            lastInput = "sc_hidden";
        }
        int width = head.weights()[0].length;
        builder.addInitializer(floatTensor("sc_head_weight", new long[] {classes, width},
                flatten(head.weights(), width)));
        builder.addInitializer(floatTensor("sc_head_bias", new long[] {classes}, head.bias()));
        nodes.add("Gemm", List.of(lastInput, "sc_head_weight", "sc_head_bias"), "sc_logits", intAttr("transB", 1));
        if (head.hasFallback()) {
            nodes.add("Softmax", List.of("sc_logits"), "sc_softmax", intAttr("axis", 1));
            appendFallback(builder, nodes, "sc_softmax", head.fallbackClass(), head.fallbackThreshold(), classes);
        } else {
            nodes.add("Softmax", List.of("sc_logits"), PROBABILITIES, intAttr("axis", 1));
        }
        builder.addOutput(floatMatrix(PROBABILITIES, classes));
        ModelProto.Builder model = embedder.toBuilder().setGraph(builder).clearMetadataProps();
        model.addMetadataProps(entry("labels", String.join("\n", labels)));
        // In key order: Map.of iterates in an order that changes from one JVM to the next, and the same head must give
        // the same bytes, hence the same sha256, on every build.
        new java.util.TreeMap<>(metadata).forEach((key, value) -> model.addMetadataProps(entry(key, value)));
        return model.build();
    }

    /**
     * A classification model that ends in raw scores ({@code logits} {@code [batch, classes]}) with softmax, or a
     * sigmoid per class for a multi-label model, appended; the only output is {@value #PROBABILITIES}.
     *
     * @throws IllegalArgumentException if the model has no such output, or it is not {@code classes} wide
     */
    public static ModelProto withActivation(ModelProto model, String logits, int classes, boolean sigmoid) {
        GraphProto graph = model.getGraph();
        ValueInfoProto output = graph.getOutputList().stream().filter(o -> o.getName().equals(logits)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("the model has no '" + logits + "' output; its "
                        + "outputs are " + graph.getOutputList().stream().map(ValueInfoProto::getName).toList()));
        List<TensorShapeProto.Dimension> dims = output.getType().getTensorType().getShape().getDimList();
        if (dims.size() != 2) {
            throw new IllegalArgumentException("output '" + logits + "' has " + dims.size() + " dimensions; a "
                    + "sequence classifier's is [batch, classes]");
        }
        if (dims.get(1).hasDimValue() && dims.get(1).getDimValue() != classes) {
            throw new IllegalArgumentException("output '" + logits + "' is " + dims.get(1).getDimValue()
                    + " wide but config.json's id2label names " + classes + " labels");
        }
        GraphProto.Builder builder = graph.toBuilder().clearOutput();
        Nodes nodes = new Nodes(builder, defaultOpset(model));
        if (sigmoid) {
            nodes.add("Sigmoid", List.of(logits), PROBABILITIES);
        } else {
            nodes.add("Softmax", List.of(logits), PROBABILITIES, intAttr("axis", 1));
        }
        builder.addOutput(floatMatrix(PROBABILITIES, classes));
        return model.toBuilder().setGraph(builder).build();
    }

    /** Row-wise L2 normalisation of {@code input} into {@code output}; intermediate tensors are named {@code prefix_*}. */
    private static void l2Normalise(GraphProto.Builder builder, Nodes nodes, String input, String prefix,
            String output) {
        nodes.add("Mul", List.of(input, input), prefix + "_squares");
        nodes.reduceSum(prefix + "_squares", prefix + "_square_sum", 1, true);
        nodes.add("Sqrt", List.of(prefix + "_square_sum"), prefix + "_norm");
        builder.addInitializer(floatTensor(prefix + "_norm_floor", new long[0], new float[] {1e-12f}));
        nodes.add("Max", List.of(prefix + "_norm", prefix + "_norm_floor"), prefix + "_norm_safe");
        nodes.add("Div", List.of(input, prefix + "_norm_safe"), output);
    }

    /** Word-piece uni/bigram counts of input_ids, times idf, L2-normalised, appended to the embedding. */
    private static String appendLexical(GraphProto.Builder builder, Nodes nodes, LexicalFeatures lexical) {
        int size = lexical.size();
        int unigrams = lexical.unigramCount();
        NodeProto.Builder tfidf = NodeProto.newBuilder().setOpType("TfIdfVectorizer").setName("sc_ngram_counts_node")
                .addInput("input_ids").addOutput("sc_ngram_counts")
                .addAttribute(stringAttr("mode", "TF"))
                .addAttribute(intAttr("min_gram_length", 1))
                .addAttribute(intAttr("max_gram_length", 2))
                .addAttribute(intAttr("max_skip_count", 0));
        AttributeProto.Builder counts = AttributeProto.newBuilder().setName("ngram_counts")
                .setType(AttributeProto.AttributeType.INTS).addInts(0).addInts(unigrams);
        AttributeProto.Builder indexes = AttributeProto.newBuilder().setName("ngram_indexes")
                .setType(AttributeProto.AttributeType.INTS);
        AttributeProto.Builder pool = AttributeProto.newBuilder().setName("pool_int64s")
                .setType(AttributeProto.AttributeType.INTS);
        for (int i = 0; i < size; i++) {
            indexes.addInts(i);
            for (long id : lexical.ngrams()[i]) {
                pool.addInts(id);
            }
        }
        tfidf.addAttribute(counts).addAttribute(indexes).addAttribute(pool);
        builder.addNode(tfidf);
        builder.addInitializer(floatTensor("sc_idf", new long[] {size}, lexical.idf()));
        nodes.add("Mul", List.of("sc_ngram_counts", "sc_idf"), "sc_tfidf");
        l2Normalise(builder, nodes, "sc_tfidf", "sc_tfidf", "sc_lexical");
        nodes.add("Concat", List.of(EMBEDDING, "sc_lexical"), "sc_features", intAttr("axis", 1));
        return "sc_features";
    }

    /**
     * When the top probability is under the threshold, the fallback class gets it added and the row is renormalised
     * (see {@link Head#applyFallback}); rows with a confident class pass unchanged.
     */
    private static void appendFallback(GraphProto.Builder builder, Nodes nodes, String input, int fallbackClass,
            float threshold, int classes) {
        builder.addInitializer(floatTensor("sc_fallback_threshold", new long[0], new float[] {threshold}));
        float[] oneHot = new float[classes];
        oneHot[fallbackClass] = 1;
        builder.addInitializer(floatTensor("sc_fallback_one_hot", new long[] {classes}, oneHot));
        nodes.reduceMax(input, "sc_top", 1);
        nodes.add("Less", List.of("sc_top", "sc_fallback_threshold"), "sc_unsure");
        nodes.add("Cast", List.of("sc_unsure"), "sc_unsure_f", intAttr("to", FLOAT));
        nodes.add("Mul", List.of("sc_unsure_f", "sc_top"), "sc_fallback_gain");
        nodes.add("Mul", List.of("sc_fallback_gain", "sc_fallback_one_hot"), "sc_fallback_add");
        nodes.add("Add", List.of(input, "sc_fallback_add"), "sc_fallback_scores");
        nodes.reduceSum("sc_fallback_scores", "sc_fallback_total", 1, true);
        nodes.add("Div", List.of("sc_fallback_scores", "sc_fallback_total"), PROBABILITIES);
    }

    private static float[] flatten(float[][] rows, int width) {
        float[] flat = new float[rows.length * width];
        for (int r = 0; r < rows.length; r++) {
            if (rows[r].length != width) {
                throw new IllegalArgumentException("Row " + r + " has " + rows[r].length + " values, expected " + width);
            }
            System.arraycopy(rows[r], 0, flat, r * width, width);
        }
        return flat;
    }

    private static int defaultOpset(ModelProto model) {
        return model.getOpsetImportList().stream()
                .filter(o -> o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx"))
                .mapToInt(o -> (int) o.getVersion())
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("Model imports no default ONNX opset"));
    }

    private static int hiddenSize(GraphProto graph) {
        for (ValueInfoProto output : graph.getOutputList()) {
            if (output.getName().equals(HIDDEN_STATE) || output.getName().equals(EMBEDDING)) {
                List<TensorShapeProto.Dimension> dims = output.getType().getTensorType().getShape().getDimList();
                TensorShapeProto.Dimension last = dims.get(dims.size() - 1);
                if (last.hasDimValue()) {
                    return (int) last.getDimValue();
                }
            }
        }
        throw new IllegalArgumentException("Cannot read the hidden size from the encoder's output shape");
    }

    private static ValueInfoProto floatMatrix(String name, long width) {
        TensorShapeProto shape = TensorShapeProto.newBuilder()
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("batch"))
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(width))
                .build();
        return ValueInfoProto.newBuilder()
                .setName(name)
                .setType(TypeProto.newBuilder().setTensorType(
                        TypeProto.Tensor.newBuilder().setElemType(FLOAT).setShape(shape)))
                .build();
    }

    static TensorProto floatTensor(String name, long[] dims, float[] values) {
        ByteBuffer raw = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        raw.asFloatBuffer().put(values);
        TensorProto.Builder tensor = TensorProto.newBuilder().setName(name).setDataType(FLOAT)
                .setRawData(ByteString.copyFrom(raw.array()));
        for (long dim : dims) {
            tensor.addDims(dim);
        }
        return tensor.build();
    }

    private static TensorProto longTensor(String name, long... values) {
        ByteBuffer raw = ByteBuffer.allocate(values.length * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        raw.asLongBuffer().put(values);
        return TensorProto.newBuilder().setName(name).setDataType(INT64).addDims(values.length)
                .setRawData(ByteString.copyFrom(raw.array())).build();
    }

    private static AttributeProto stringAttr(String name, String value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
                .setS(ByteString.copyFromUtf8(value)).build();
    }

    private static AttributeProto intAttr(String name, long value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(value).build();
    }

    private static StringStringEntryProto entry(String key, String value) {
        return StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
    }

    /** Appends nodes in the form the model's opset expects (axes moved from attributes to inputs in opset 13). */
    private static final class Nodes {
        private final GraphProto.Builder graph;
        private final int opset;

        Nodes(GraphProto.Builder graph, int opset) {
            this.graph = graph;
            this.opset = opset;
        }

        void add(String op, List<String> inputs, String output, AttributeProto... attributes) {
            NodeProto.Builder node = NodeProto.newBuilder().setOpType(op).setName(output + "_node")
                    .addAllInput(inputs).addOutput(output);
            for (AttributeProto attribute : attributes) {
                node.addAttribute(attribute);
            }
            graph.addNode(node);
        }

        void unsqueeze(String input, String output, long axis) {
            if (opset >= 13) {
                graph.addInitializer(longTensor(output + "_axes", axis));
                add("Unsqueeze", List.of(input, output + "_axes"), output);
            } else {
                add("Unsqueeze", List.of(input), output, intsAttr("axes", axis));
            }
        }

        void reduceSum(String input, String output, long axis, boolean keepDims) {
            AttributeProto keep = intAttr("keepdims", keepDims ? 1 : 0);
            if (opset >= 13) {
                graph.addInitializer(longTensor(output + "_axes", axis));
                add("ReduceSum", List.of(input, output + "_axes"), output, keep);
            } else {
                add("ReduceSum", List.of(input), output, intsAttr("axes", axis), keep);
            }
        }

        /** ReduceMax keeping the axis; its axes moved from attribute to input only in opset 18. */
        void reduceMax(String input, String output, long axis) {
            AttributeProto keep = intAttr("keepdims", 1);
            if (opset >= 18) {
                graph.addInitializer(longTensor(output + "_axes", axis));
                add("ReduceMax", List.of(input, output + "_axes"), output, keep);
            } else {
                add("ReduceMax", List.of(input), output, intsAttr("axes", axis), keep);
            }
        }

        private static AttributeProto intsAttr(String name, long value) {
            return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS)
                    .addInts(value).build();
        }
    }
}
