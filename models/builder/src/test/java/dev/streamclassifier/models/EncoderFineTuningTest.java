package dev.streamclassifier.models;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.streamclassifier.udf.ClassScores;
import dev.streamclassifier.udf.ExecutionDevice;
import dev.streamclassifier.udf.ModelDirectory;
import dev.streamclassifier.udf.OnnxTextModel;
import dev.streamclassifier.udf.TextClassifier;
import dev.streamclassifier.udf.TextTokenizer;
import dev.streamclassifier.udf.TokenBatch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fine-tuning on real parts: the MiniLM written in DJL operations against ONNX Runtime on the same fp32 weights, the
 * int8 scheme against the shipped int8 encoder, and {@code train --fine-tune lora} end to end on a small set.
 */
class EncoderFineTuningTest {
    private static final String SERVED = "all-minilm-l6-v2-q";
    private static final String FP32 = "all-minilm-l6-v2";
    private static final List<String> TEXTS = List.of("my card has not arrived", "hi",
            "WIN a free prize now, text CLAIM to 80086 to get your free prize",
            "I was charged twice for the same payment at the shop yesterday, please refund one of them");
    private static final EncoderFineTuner.Settings FEW_STEPS = new EncoderFineTuner.Settings(4, 8f, 3, 8, 32, 2e-3,
            1e-2, 0.0, 0.1, 1.0, 7, 2);

    private static Encoders encoders;
    private static ModelProto fp32Model;
    private static EncoderWeights fp32;

    @BeforeAll
    static void load() throws Exception {
        encoders = new Encoders(Path.of(System.getProperty("encoders.dir", "target/encoders")));
        fp32Model = OnnxComposer.parse(Files.readAllBytes(encoders.model(FP32)));
        fp32 = EncoderWeights.read(fp32Model);
    }

    @Test
    void djlEncoderMatchesOnnxRuntimeOnTheUnmodifiedWeights() throws Exception {
        float[][] expected;
        long[][] ids = new long[TEXTS.size()][];
        try (TextTokenizer tokenizer = TextTokenizer.load(encoders.tokenizer(FP32), 128);
                OnnxTextModel session = OnnxTextModel.open("fp32", OnnxComposer.embedder(fp32Model).toByteArray(),
                        OnnxComposer.EMBEDDING, 1, ExecutionDevice.CPU)) {
            expected = session.run(TokenBatch.pad(tokenizer.encodeAll(TEXTS), 0, TEXTS.size()));
            for (int i = 0; i < ids.length; i++) {
                ids[i] = tokenizer.encode(TEXTS.get(i)).ids();
            }
        }
        EncoderFineTuner.Settings settings = new EncoderFineTuner.Settings(4, 8f, 1, 4, 128, 1e-3, 1e-3, 0, 0.1, 1,
                1, 1);
        float[][] actual;
        try (EncoderFineTuner tuner = EncoderFineTuner.open(fp32, 2, settings)) {
            actual = tuner.embed(ids);
        }

        assertThat(actual.length).isEqualTo(expected.length);
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            for (int j = 0; j < expected[i].length; j++) {
                worst = Math.max(worst, Math.abs(expected[i][j] - actual[i][j]));
            }
        }
        // fp32 on two libraries: the same sums in another order, nothing more
        assertThat(worst).isLessThan(1e-5);
    }

    @Test
    void requantizingTheFp32WeightsReproducesTheShippedInt8Encoder() throws Exception {
        ModelProto served = OnnxComposer.parse(Files.readAllBytes(encoders.model(SERVED)));
        Map<String, TensorProto> shipped = new HashMap<>();
        served.getGraph().getInitializerList().forEach(t -> shipped.put(t.getName(), t));
        long values = 0;
        long different = 0;
        for (EncoderWeights.Linear linear : fp32.linears.values()) {
            Int8Weights.Quantized ours = Int8Weights.quantize(linear.weight(), linear.in(), linear.out());
            byte[] theirs = shipped.get(linear.initializer() + "_quantized").getRawData().toByteArray();
            float[] theirScales = EncoderWeights.floats(shipped.get(linear.initializer() + "_scale"));
            assertThat(ours.scales()).containsExactly(theirScales);
            for (int i = 0; i < theirs.length; i++) {
                values++;
                different += theirs[i] == ours.values()[i] ? 0 : 1;
            }
        }
        assertThat(values).isEqualTo(6L * (4 * 384 * 384 + 2 * 384 * 1536));
        assertThat(different).isZero();

        // and adapters that change nothing (B = 0) give back the shipped graph's weights
        LoraAdapters identity = new LoraAdapters(2, 4f, List.of(new LoraAdapters.Adapter("0.query", 384, 384,
                new float[384 * 2], new float[2 * 384])));
        ModelProto rewritten = identity.applyTo(served, fp32);
        String query = fp32.linear(0, "query").initializer() + "_quantized";
        assertThat(rewritten.getGraph().getInitializerList().stream().filter(t -> t.getName().equals(query))
                .findFirst().orElseThrow().getRawData()).isEqualTo(shipped.get(query).getRawData());
    }

    @Test
    void aFewStepsOfLoraLowerTheLossAndChangeTheEncoder() throws Exception {
        List<String> texts = new ArrayList<>();
        int[] labels = new int[32];
        for (int i = 0; i < 16; i++) {
            texts.add("please refund the payment number " + i + " that was charged twice");
            texts.add("you have won prize " + i + ", text WIN now to claim it");
        }
        for (int i = 0; i < labels.length; i++) {
            labels[i] = i % 2;
        }
        long[][] ids = new long[texts.size()][];
        try (TextTokenizer tokenizer = TextTokenizer.load(encoders.tokenizer(FP32), 32)) {
            for (int i = 0; i < ids.length; i++) {
                ids[i] = tokenizer.encode(texts.get(i)).ids();
            }
        }
        LoraAdapters adapters;
        try (EncoderFineTuner tuner = EncoderFineTuner.open(fp32, 2, FEW_STEPS)) {
            float before = tuner.loss(ids, labels);
            EncoderFineTuner.Report report = tuner.train(ids, labels);
            float after = tuner.loss(ids, labels);

            assertThat(report.steps()).isEqualTo(12);
            assertThat(report.skippedSteps()).isZero();
            assertThat(after).isLessThan(before * 0.5f);
            adapters = tuner.adapters();
        }
        assertThat(adapters.adapters).hasSize(6 * 6);
        assertThat(adapters.adapters).anySatisfy(adapter -> assertThat(maxAbs(adapter.b())).isGreaterThan(0f));
        EncoderWeights.Linear query = fp32.linear(0, "query");
        float[] merged = adapters.merged(query, adapters.adapters.get(0));
        assertThat(merged).isNotEqualTo(query.weight());
    }

    @Test
    void trainWithFineTuningWritesAdaptersThatAssembleIntoAWorkingClassifier(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data.csv");
        StringBuilder csv = new StringBuilder("text,label\n");
        for (int i = 0; i < 20; i++) {
            csv.append("my card ").append(i).append(" was charged twice,billing\n");
            csv.append("the app crashes when I open screen ").append(i).append(",technical\n");
        }
        Files.writeString(data, csv);
        Path heads = dir.resolve("heads");

        TrainCommand.run(CommandLine.parse(new String[] {"--name", "tiny", "--data", data.toString(), "--out",
                heads.toString(), "--encoders", encoders.root().toString(), "--fine-tune", "lora", "--ft-epochs",
                "1", "--ft-batch", "8", "--ft-rank", "2", "--ft-max-tokens", "16", "--threads", "2", "--cache",
                dir.resolve("cache").toString(), "--no-baseline"}));

        Path headDir = heads.resolve("tiny");
        assertThat(headDir.resolve(LoraAdapters.FILE_NAME)).isRegularFile();
        assertThat(Files.readString(headDir.resolve("manifest.json"))).contains("LoRA r2");
        Path out = dir.resolve("assembled");
        AssembleCommand.assemble(headDir, encoders, out);
        byte[] adapted = Files.readAllBytes(out.resolve("tiny").resolve(ModelDirectory.MODEL_FILE));
        String query = fp32.linear(0, "query").initializer() + "_quantized";
        ModelProto assembled = OnnxComposer.parse(adapted);
        ModelProto served = OnnxComposer.parse(Files.readAllBytes(encoders.model(SERVED)));
        assertThat(initializer(assembled, query)).isNotEqualTo(initializer(served, query));
        try (TextClassifier classifier = TextClassifier.open(ModelDirectory.of(out.resolve("tiny")), 1,
                ExecutionDevice.CPU)) {
            List<ClassScores> scores = classifier.classify(List.of("my card was charged twice",
                    "the app crashes when I open it"));
            assertThat(scores.get(0).bestLabel()).isEqualTo("billing");
            assertThat(scores.get(1).bestLabel()).isEqualTo("technical");
        }
    }

    private static com.google.protobuf.ByteString initializer(ModelProto model, String name) {
        return model.getGraph().getInitializerList().stream().filter(t -> t.getName().equals(name)).findFirst()
                .orElseThrow().getRawData();
    }

    private static float maxAbs(float[] values) {
        float max = 0;
        for (float value : values) {
            max = Math.max(max, Math.abs(value));
        }
        return max;
    }
}
