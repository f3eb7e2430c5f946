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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Every kind of head exported into the ONNX graph computes what {@link Head#probabilities} computes in Java, on the
 * real int8 encoder: MLP (Gemm, Relu, Gemm), word-piece TF-IDF features (TfIdfVectorizer on input_ids) and the
 * fallback rule. Texts are run as one padded batch, so padding must not leak into the lexical counts.
 */
class HeadGraphTest {
    private static final String ENCODER = "all-minilm-l6-v2-q";
    private static final List<String> TEXTS = List.of("my card has not arrived", "hi",
            "WIN a free prize now, text CLAIM to 80086 to get your free prize",
            "I was charged twice for the same payment at the shop yesterday, please refund one of them");
    private static Encoders encoders;
    private static ModelProto encoder;
    private static float[][] embeddings;
    private static long[][] tokenIds;

    @BeforeAll
    static void load() throws Exception {
        encoders = new Encoders(Path.of(System.getProperty("encoders.dir", "target/encoders")));
        encoder = OnnxComposer.parse(Files.readAllBytes(encoders.model(ENCODER)));
        embeddings = runGraph(OnnxComposer.embedder(encoder), OnnxComposer.EMBEDDING);
        try (Embedder embedder = Embedder.open(encoders, ENCODER, 128, 1)) {
            tokenIds = embedder.tokenIds(TEXTS);
        }
    }

    private static float[][] runGraph(ModelProto model, String output) throws Exception {
        try (TextTokenizer tokenizer = TextTokenizer.load(encoders.tokenizer(ENCODER), 128);
                OnnxTextModel session = OnnxTextModel.open("test", model.toByteArray(), output, 1,
                        ExecutionDevice.CPU)) {
            return session.run(TokenBatch.pad(tokenizer.encodeAll(TEXTS), 0, TEXTS.size()));
        }
    }

    private static float[][] randomMatrix(Random random, int rows, int cols, double scale) {
        float[][] matrix = new float[rows][cols];
        for (float[] row : matrix) {
            for (int j = 0; j < cols; j++) {
                row[j] = (float) (random.nextGaussian() * scale);
            }
        }
        return matrix;
    }

    private static void assertGraphMatchesJava(Head head, List<String> labels) throws Exception {
        float[][] fromGraph = runGraph(OnnxComposer.classifier(encoder, head, labels, Map.of("name", "test")),
                OnnxComposer.PROBABILITIES);
        for (int i = 0; i < TEXTS.size(); i++) {
            float[] expected = head.probabilities(head.features(embeddings[i], tokenIds[i]));
            for (int c = 0; c < labels.size(); c++) {
                assertThat(fromGraph[i][c]).as("text %d class %d", i, c).isCloseTo(expected[c], within(1e-4f));
            }
        }
    }

    @Test
    void mlpHeadInTheGraphMatchesTheJavaForwardPass() throws Exception {
        Random random = new Random(7);
        Head head = new Head(384, randomMatrix(random, 3, 16, 1), new float[] {0.1f, 0f, -0.1f},
                randomMatrix(random, 16, 384, 1), new float[16], null, null, null);

        assertGraphMatchesJava(head, List.of("a", "b", "c"));
    }

    @Test
    void lexicalFeaturesInTheGraphMatchTheJavaCounts() throws Exception {
        List<long[]> fitOn = new ArrayList<>(List.of(tokenIds));
        fitOn.addAll(List.of(tokenIds));
        LexicalFeatures lexical = LexicalFeatures.fit(fitOn, 200, 2);
        assertThat(lexical.size()).isGreaterThan(lexical.unigramCount()).as("has bigrams too");
        Random random = new Random(11);
        // Large lexical weights, so that a wrong count or a missed bigram shows in the probabilities.
        float[][] weights = randomMatrix(random, 2, 384 + lexical.size(), 3);
        Head head = new Head(384 + lexical.size(), weights, new float[2], null, null, lexical, null, null);

        assertGraphMatchesJava(head, List.of("x", "y"));
        // And the feature is not silently zero: the spam text repeats "free prize", which must count.
        float[] spam = lexical.vector(tokenIds[2]);
        assertThat(spam).satisfies(v -> assertThat(max(v)).isGreaterThan(0.2f));
    }

    @Test
    void fallbackRuleInTheGraphMatchesJavaAndWinsWhenNothingIsConfident() throws Exception {
        Random random = new Random(3);
        Head linear = new Head(384, randomMatrix(random, 4, 384, 0.5), new float[4]);
        Head head = linear.withFallback(3, 0.9f);

        assertGraphMatchesJava(head, List.of("a", "b", "c", "oos"));
        // A weak random head is never 90% sure, so the fallback class must win everywhere.
        for (int i = 0; i < TEXTS.size(); i++) {
            assertThat(TrainCommand.argmax(head.probabilities(embeddings[i]))).isEqualTo(3);
        }
    }

    private static float max(float[] values) {
        float max = Float.NEGATIVE_INFINITY;
        for (float v : values) {
            max = Math.max(max, v);
        }
        return max;
    }
}
