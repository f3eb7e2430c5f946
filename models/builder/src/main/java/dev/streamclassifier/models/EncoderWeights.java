package dev.streamclassifier.models;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The fp32 weights of a BERT-style sentence encoder, read from the initializers of its Hugging Face ONNX export. The
 * export names most tensors after the PyTorch module ({@code encoder.layer.0.attention.output.LayerNorm.weight}), but
 * gives MatMul weights generated names ({@code onnx::MatMul_787}); those are found through the MatMul node that reads
 * them ({@code /encoder/layer.0/attention/self/query/MatMul}). MatMul weights are stored {@code [in, out]}, row-major.
 */
final class EncoderWeights {
    /** The six linear layers of each transformer block, in the order a block runs them. */
    static final List<String> LINEARS = List.of("query", "key", "value", "attention_output", "intermediate",
            "output");
    /** Every encoder we fine-tune splits its hidden size into heads of this width (MiniLM: 12 x 32 = 384). */
    static final int HEAD_WIDTH = 32;

    private static final Pattern MATMUL = Pattern.compile(
            "/encoder/layer\\.(\\d+)/(attention/self/query|attention/self/key|attention/self/value"
                    + "|attention/output/dense|intermediate/dense|output/dense)/MatMul");

    /** One linear layer: {@code y = x W + b}, {@code W} read from the initializer {@code initializer}. */
    record Linear(String initializer, int in, int out, float[] weight, float[] bias) {}

    final int layers;
    final int hidden;
    final int heads;
    final int vocabulary;
    final int positions;
    final float[] wordEmbeddings;
    final float[] positionEmbeddings;
    final float[] typeEmbeddings;
    /** Layer norms by module path without ".weight"/".bias": gamma then beta. */
    final Map<String, float[][]> layerNorms;
    /** Linear layers by {@link #key}. */
    final Map<String, Linear> linears;

    private EncoderWeights(int layers, int hidden, int vocabulary, int positions, float[] wordEmbeddings,
            float[] positionEmbeddings, float[] typeEmbeddings, Map<String, float[][]> layerNorms,
            Map<String, Linear> linears) {
        this.layers = layers;
        this.hidden = hidden;
        this.heads = hidden / HEAD_WIDTH;
        this.vocabulary = vocabulary;
        this.positions = positions;
        this.wordEmbeddings = wordEmbeddings;
        this.positionEmbeddings = positionEmbeddings;
        this.typeEmbeddings = typeEmbeddings;
        this.layerNorms = layerNorms;
        this.linears = linears;
    }

    static String key(int layer, String linear) {
        return layer + "." + linear;
    }

    Linear linear(int layer, String name) {
        return linears.get(key(layer, name));
    }

    /** Gamma and beta of {@code embeddings.LayerNorm} or {@code encoder.layer.L.(attention.output|output).LayerNorm}. */
    float[][] layerNorm(String module) {
        return layerNorms.get(module);
    }

    /** Reads an fp32 export; fails with what is missing when the graph is not a BERT-style export. */
    static EncoderWeights read(ModelProto model) throws IOException {
        Map<String, TensorProto> initializers = new HashMap<>();
        model.getGraph().getInitializerList().forEach(t -> initializers.put(t.getName(), t));
        TensorProto words = required(initializers, "embeddings.word_embeddings.weight");
        if (words.getDataType() != TensorProto.DataType.FLOAT.getNumber()) {
            throw new IOException("The encoder's weights are not fp32 (word embeddings have data type "
                    + words.getDataType() + "): fine-tuning reads the fp32 export of the encoder");
        }
        int vocabulary = (int) words.getDims(0);
        int hidden = (int) words.getDims(1);
        TensorProto positions = required(initializers, "embeddings.position_embeddings.weight");
        Map<String, Linear> linears = new LinkedHashMap<>();
        int layers = 0;
        for (NodeProto node : model.getGraph().getNodeList()) {
            Matcher matcher = MATMUL.matcher(node.getName());
            if (!node.getOpType().equals("MatMul") || !matcher.matches()) {
                continue;
            }
            int layer = Integer.parseInt(matcher.group(1));
            String path = matcher.group(2);
            String name = switch (path) {
                case "attention/output/dense" -> "attention_output";
                case "intermediate/dense" -> "intermediate";
                case "output/dense" -> "output";
                default -> path.substring(path.lastIndexOf('/') + 1);
            };
            TensorProto weight = required(initializers, node.getInput(1));
            float[] bias = floats(required(initializers,
                    "encoder.layer." + layer + "." + path.replace('/', '.') + ".bias"));
            linears.put(key(layer, name), new Linear(weight.getName(), (int) weight.getDims(0),
                    (int) weight.getDims(1), floats(weight), bias));
            layers = Math.max(layers, layer + 1);
        }
        Map<String, float[][]> layerNorms = new HashMap<>();
        layerNorms.put("embeddings.LayerNorm", layerNorm(initializers, "embeddings.LayerNorm"));
        for (int layer = 0; layer < layers; layer++) {
            for (String name : LINEARS) {
                if (!linears.containsKey(key(layer, name))) {
                    throw new IOException("The encoder has no MatMul for layer " + layer + " " + name
                            + ": not a BERT-style Hugging Face export");
                }
            }
            for (String module : List.of("attention.output.LayerNorm", "output.LayerNorm")) {
                String path = "encoder.layer." + layer + "." + module;
                layerNorms.put(path, layerNorm(initializers, path));
            }
        }
        if (layers == 0 || hidden % HEAD_WIDTH != 0) {
            throw new IOException("The encoder has " + layers + " layers of width " + hidden
                    + ": fine-tuning needs a BERT-style export with heads " + HEAD_WIDTH + " wide");
        }
        return new EncoderWeights(layers, hidden, vocabulary, (int) positions.getDims(0), floats(words),
                floats(positions), floats(required(initializers, "embeddings.token_type_embeddings.weight")),
                layerNorms, linears);
    }

    /** The same fp32 export with the MatMul weights in {@code replaced} (by initializer name) written in place. */
    static ModelProto withWeights(ModelProto model, Map<String, Linear> replaced) {
        ModelProto.Builder builder = model.toBuilder();
        var graph = builder.getGraphBuilder();
        for (int i = 0; i < graph.getInitializerCount(); i++) {
            Linear linear = replaced.get(graph.getInitializer(i).getName());
            if (linear != null) {
                graph.setInitializer(i, graph.getInitializer(i).toBuilder().clearFloatData()
                        .setRawData(rawFloats(linear.weight())));
            }
        }
        return builder.build();
    }

    static ByteString rawFloats(float[] values) {
        ByteBuffer buffer = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        buffer.asFloatBuffer().put(values);
        return ByteString.copyFrom(buffer.array());
    }

    static float[] floats(TensorProto tensor) {
        if (!tensor.getRawData().isEmpty()) {
            float[] values = new float[tensor.getRawData().size() / Float.BYTES];
            tensor.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
            return values;
        }
        float[] values = new float[tensor.getFloatDataCount()];
        for (int i = 0; i < values.length; i++) {
            values[i] = tensor.getFloatData(i);
        }
        return values;
    }

    private static float[][] layerNorm(Map<String, TensorProto> initializers, String module) throws IOException {
        return new float[][] {floats(required(initializers, module + ".weight")),
                floats(required(initializers, module + ".bias"))};
    }

    private static TensorProto required(Map<String, TensorProto> initializers, String name) throws IOException {
        TensorProto tensor = initializers.get(name);
        if (tensor == null) {
            throw new IOException("The encoder has no initializer '" + name + "': not a BERT-style Hugging Face export");
        }
        return tensor;
    }
}
