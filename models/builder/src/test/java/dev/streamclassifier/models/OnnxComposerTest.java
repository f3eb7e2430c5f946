package dev.streamclassifier.models;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.streamclassifier.udf.ExecutionDevice;
import dev.streamclassifier.udf.OnnxTextModel;
import dev.streamclassifier.udf.TextTokenizer;
import dev.streamclassifier.udf.TokenBatch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The composed ONNX graphs on the real int8 encoder. */
class OnnxComposerTest {
    private static final List<String> TEXTS = List.of("my card has not arrived", "hi",
            "I was charged twice for the same payment at the shop yesterday, please refund one of them");
    private static Encoders encoders;
    private static ModelProto encoder;

    @BeforeAll
    static void load() throws Exception {
        encoders = new Encoders(Path.of(System.getProperty("encoders.dir", "target/encoders")));
        encoder = OnnxComposer.parse(Files.readAllBytes(encoders.model("all-minilm-l6-v2-q")));
    }

    private static float[][] run(ModelProto model, String output, ExecutionDevice device) throws Exception {
        try (TextTokenizer tokenizer = TextTokenizer.load(encoders.tokenizer("all-minilm-l6-v2-q"), 128);
                OnnxTextModel session = OnnxTextModel.open("test", model.toByteArray(), output, 1, device)) {
            return session.run(TokenBatch.pad(tokenizer.encodeAll(TEXTS), 0, TEXTS.size()));
        }
    }

    @Test
    void embeddingsAreUnitLengthAndIndependentOfPadding() throws Exception {
        float[][] batch = run(OnnxComposer.embedder(encoder), OnnxComposer.EMBEDDING, ExecutionDevice.CPU);

        assertThat(batch).hasNumberOfRows(3);
        for (float[] row : batch) {
            double norm = 0;
            for (float value : row) {
                norm += value * value;
            }
            assertThat(Math.sqrt(norm)).isCloseTo(1.0, within(1e-4));
        }
        // "hi" was padded to the longest text: masked pooling must ignore the padding. The int8 encoder quantizes
        // activations per batch (dynamic quantization), so its output moves slightly with the batch; fp32 does not.
        // Seen here: cosine 0.977 for "hi" batched with two longer texts.
        assertThat(cosine(batch[1], alone(encoder, "all-minilm-l6-v2-q"))).isGreaterThan(0.95);
        ModelProto fp32 = OnnxComposer.parse(Files.readAllBytes(encoders.model("all-minilm-l6-v2")));
        float[][] fp32Batch = run(OnnxComposer.embedder(fp32), "all-minilm-l6-v2");
        float[] fp32Alone = alone(fp32, "all-minilm-l6-v2");
        for (int j = 0; j < fp32Alone.length; j++) {
            assertThat(fp32Batch[1][j]).isCloseTo(fp32Alone[j], within(1e-4f));
        }
    }

    private static float[][] run(ModelProto embedder, String encoderId) throws Exception {
        try (TextTokenizer tokenizer = TextTokenizer.load(encoders.tokenizer(encoderId), 128);
                OnnxTextModel session = OnnxTextModel.open("test", embedder.toByteArray(), OnnxComposer.EMBEDDING, 1,
                        ExecutionDevice.CPU)) {
            return session.run(TokenBatch.pad(tokenizer.encodeAll(TEXTS), 0, TEXTS.size()));
        }
    }

    private static float[] alone(ModelProto encoderModel, String encoderId) throws Exception {
        try (TextTokenizer tokenizer = TextTokenizer.load(encoders.tokenizer(encoderId), 128);
                OnnxTextModel session = OnnxTextModel.open("test",
                        OnnxComposer.embedder(encoderModel).toByteArray(), OnnxComposer.EMBEDDING, 1,
                        ExecutionDevice.CPU)) {
            return session.run(TokenBatch.pad(tokenizer.encodeAll(List.of("hi")), 0, 1))[0];
        }
    }

    private static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }

    @Test
    void classifierGraphMatchesEmbeddingThenHeadInJava() throws Exception {
        Random random = new Random(1);
        float[][] weights = new float[3][384];
        float[] bias = {0.1f, -0.2f, 0.05f};
        for (float[] row : weights) {
            for (int j = 0; j < row.length; j++) {
                row[j] = (float) random.nextGaussian();
            }
        }
        Head head = new Head(384, weights, bias);
        ModelProto classifier = OnnxComposer.classifier(encoder, weights, bias, List.of("a", "b", "c"),
                Map.of("name", "test"));

        float[][] embeddings = run(OnnxComposer.embedder(encoder), OnnxComposer.EMBEDDING, ExecutionDevice.CPU);
        float[][] probabilities = run(classifier, OnnxComposer.PROBABILITIES, ExecutionDevice.CPU);

        for (int i = 0; i < TEXTS.size(); i++) {
            float[] expected = head.probabilities(embeddings[i]);
            for (int c = 0; c < 3; c++) {
                assertThat(probabilities[i][c]).isCloseTo(expected[c], within(1e-5f));
            }
        }
        assertThat(classifier.getMetadataPropsList()).anySatisfy(p -> assertThat(p.getValue()).isEqualTo("a\nb\nc"));
    }

    @Test
    void cudaRequestRunsOnCpuWhenCudaCannotLoad() throws Exception {
        ModelProto embedder = OnnxComposer.embedder(encoder);
        try (OnnxTextModel session = OnnxTextModel.open("test", embedder.toByteArray(), OnnxComposer.EMBEDDING, 1,
                ExecutionDevice.CUDA)) {
            assertThat(session.device()).isEqualTo(ExecutionDevice.CPU);
            assertThat(run(embedder, OnnxComposer.EMBEDDING, ExecutionDevice.CUDA)[0]).hasSize(384);
        }
    }

    @Test
    void theSameHeadGivesTheSameBytesWhateverTheMetadataOrder() {
        float[][] weights = {new float[384], new float[384]};
        weights[0][0] = 1f;
        java.util.LinkedHashMap<String, String> forward = new java.util.LinkedHashMap<>();
        forward.put("name", "m");
        forward.put("version", "1");
        forward.put("encoder", "e");
        java.util.LinkedHashMap<String, String> backward = new java.util.LinkedHashMap<>();
        backward.put("encoder", "e");
        backward.put("version", "1");
        backward.put("name", "m");

        byte[] one = OnnxComposer.classifier(encoder, weights, new float[2], List.of("a", "b"), forward).toByteArray();
        byte[] two = OnnxComposer.classifier(encoder, weights, new float[2], List.of("a", "b"), backward).toByteArray();

        assertThat(two).isEqualTo(one);
    }
}
