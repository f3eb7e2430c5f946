package dev.streamclassifier.models;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * Writes model directories in the layout Hugging Face Optimum exports a sequence classifier in, for tests of
 * {@code import}: {@code model.onnx} whose output is {@code logits} (no softmax), {@code tokenizer.json} and a
 * {@code config.json} with {@code id2label}. The graph is one of our classifiers with its final softmax taken off,
 * so its scores after import can be compared with the classifier's own.
 */
public final class HuggingFaceExports {
    private HuggingFaceExports() {}

    /**
     * @param classifier a classifier whose last node is the softmax that writes {@code probabilities}
     * @param problemType config.json's {@code problem_type}, or null to leave it out
     * @param underOnnxFolder puts the model at {@code onnx/model.onnx}, as transformers.js exports do
     */
    public static Path sequenceClassifier(Path dir, ModelProto classifier, Path tokenizer, List<String> labels,
            String problemType, boolean underOnnxFolder) throws IOException {
        GraphProto graph = classifier.getGraph();
        NodeProto softmax = graph.getNodeList().stream()
                .filter(node -> node.getOutputList().contains(OnnxComposer.PROBABILITIES)).findFirst().orElseThrow();
        if (!softmax.getOpType().equals("Softmax")) {
            throw new IllegalArgumentException("the classifier ends in " + softmax.getOpType() + ", not Softmax");
        }
        ValueInfoProto probabilities = graph.getOutput(0);
        GraphProto.Builder builder = graph.toBuilder().clearOutput();
        builder.removeNode(graph.getNodeList().indexOf(softmax));
        builder.addNode(NodeProto.newBuilder().setOpType("Identity").setName("logits_node")
                .addInput(softmax.getInput(0)).addOutput("logits"));
        builder.addOutput(probabilities.toBuilder().setName("logits"));
        Path modelDir = underOnnxFolder ? dir.resolve("onnx") : dir;
        Files.createDirectories(modelDir);
        Files.write(modelDir.resolve("model.onnx"), classifier.toBuilder().setGraph(builder).build().toByteArray());
        Files.copy(tokenizer, dir.resolve("tokenizer.json"), StandardCopyOption.REPLACE_EXISTING);
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = json.createObjectNode();
        config.putArray("architectures").add("BertForSequenceClassification");
        config.put("_name_or_path", "test/minilm-" + labels.size() + "-labels");
        config.put("max_position_embeddings", 512);
        ObjectNode id2label = config.putObject("id2label");
        ObjectNode label2id = config.putObject("label2id");
        for (int i = labels.size() - 1; i >= 0; i--) {
            // Written out of order, as nothing promises the order of a JSON object's keys.
            id2label.put(String.valueOf(i), labels.get(i));
            label2id.put(labels.get(i), i);
        }
        if (problemType != null) {
            config.put("problem_type", problemType);
        }
        json.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("config.json").toFile(), config);
        return dir;
    }

    /** A sentence-encoder export: the encoder's graph ({@code last_hidden_state}) and its tokenizer, no config. */
    public static Path sentenceEncoder(Path dir, Path encoderModel, Path tokenizer) throws IOException {
        Files.createDirectories(dir);
        Files.copy(encoderModel, dir.resolve("model.onnx"), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(tokenizer, dir.resolve("tokenizer.json"), StandardCopyOption.REPLACE_EXISTING);
        return dir;
    }
}
