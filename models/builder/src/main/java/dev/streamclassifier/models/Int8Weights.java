package dev.streamclassifier.models;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;

import java.util.Map;

/**
 * The int8 scheme of the shipped quantized encoders (ONNX Runtime dynamic quantization, per channel, reduced range):
 * each MatMul weight {@code W[in, out]} is stored as {@code NAME_quantized} (int8), {@code NAME_scale} (one float per
 * output column, {@code max|W[:, j]| / 64}) and {@code NAME_zero_point} (0). Writing fine-tuned weights this way gives
 * a model that runs exactly like the shipped one, only with other numbers.
 */
final class Int8Weights {
    /** Half the reduced int8 range: quantized values lie in [-64, 64]. */
    static final float LEVELS = 64f;

    private Int8Weights() {}

    /** Quantized values and per-column scales of one weight. */
    record Quantized(byte[] values, float[] scales) {}

    static Quantized quantize(float[] weight, int in, int out) {
        float[] scales = new float[out];
        for (int i = 0; i < in; i++) {
            for (int j = 0; j < out; j++) {
                scales[j] = Math.max(scales[j], Math.abs(weight[i * out + j]));
            }
        }
        for (int j = 0; j < out; j++) {
            scales[j] = scales[j] == 0f ? 1f : scales[j] / LEVELS;
        }
        byte[] values = new byte[weight.length];
        for (int i = 0; i < in; i++) {
            for (int j = 0; j < out; j++) {
                float q = (float) Math.rint(weight[i * out + j] / scales[j]);
                values[i * out + j] = (byte) Math.max(-LEVELS, Math.min(LEVELS, q));
            }
        }
        return new Quantized(values, scales);
    }

    /** True when {@code model} stores its MatMul weights this way (the {@code -q} encoders). */
    static boolean isQuantized(ModelProto model, String weightName) {
        return model.getGraph().getInitializerList().stream()
                .anyMatch(t -> t.getName().equals(weightName + "_quantized"));
    }

    /** The quantized model with the weights in {@code replaced} (fp32, {@code [in, out]}, by name) re-quantized. */
    static ModelProto withWeights(ModelProto model, Map<String, EncoderWeights.Linear> replaced) {
        ModelProto.Builder builder = model.toBuilder();
        GraphProto.Builder graph = builder.getGraphBuilder();
        Map<String, Quantized> quantized = new java.util.HashMap<>();
        replaced.forEach((name, linear) -> quantized.put(name, quantize(linear.weight(), linear.in(), linear.out())));
        for (int i = 0; i < graph.getInitializerCount(); i++) {
            TensorProto tensor = graph.getInitializer(i);
            String name = tensor.getName();
            if (name.endsWith("_quantized") && quantized.containsKey(strip(name, "_quantized"))) {
                Quantized q = quantized.get(strip(name, "_quantized"));
                graph.setInitializer(i, tensor.toBuilder().clearInt32Data().setRawData(ByteString.copyFrom(q.values())));
            } else if (name.endsWith("_scale") && quantized.containsKey(strip(name, "_scale"))) {
                Quantized q = quantized.get(strip(name, "_scale"));
                graph.setInitializer(i, tensor.toBuilder().clearFloatData()
                        .setRawData(EncoderWeights.rawFloats(q.scales())));
            }
        }
        return builder.build();
    }

    private static String strip(String name, String suffix) {
        return name.substring(0, name.length() - suffix.length());
    }
}
