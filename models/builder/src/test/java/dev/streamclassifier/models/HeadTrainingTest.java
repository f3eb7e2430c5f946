package dev.streamclassifier.models;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The MLP, the sparse trainer, the bag-of-words baseline, lexical features and the fallback rule, on synthetic data. */
class HeadTrainingTest {

    /** XOR of two features: no linear head can get it right, one hidden layer can. */
    @Test
    void mlpLearnsWhatALinearHeadCannot() {
        Random random = new Random(1);
        int n = 800;
        float[][] x = new float[n][2];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            int a = random.nextInt(2);
            int b = random.nextInt(2);
            x[i][0] = (float) (a + 0.1 * random.nextGaussian());
            x[i][1] = (float) (b + 0.1 * random.nextGaussian());
            y[i] = a ^ b;
        }
        Head mlp = new MlpTrainer(16, 1e-5, 60, 0.01, 2).train(x, y, 2);
        Head linear = new SoftmaxRegression(1e-5, 60, 0.01, 2).train(x, y, 2);

        assertThat(accuracy(mlp, x, y)).isGreaterThan(0.95);
        assertThat(accuracy(linear, x, y)).isLessThan(0.8);
        assertThat(mlp.isMlp()).isTrue();
    }

    @Test
    void mlpHeadSurvivesTheJsonRoundTrip(@TempDir Path dir) throws Exception {
        Head head = new MlpTrainer(4, 1e-4, 2, 0.01, 2).train(new float[][] {{0, 1}, {1, 0}}, new int[] {0, 1}, 2)
                .withFallback(1, 0.4f);
        head.write(dir.resolve("head.json"));

        Head read = Head.read(dir.resolve("head.json"));

        assertThat(read.probabilities(new float[] {0.3f, 0.7f}))
                .containsExactly(head.probabilities(new float[] {0.3f, 0.7f}));
        assertThat(read.fallbackClass()).isEqualTo(1);
    }

    @Test
    void linearHeadFileWithoutNewFieldsStillReads(@TempDir Path dir) throws Exception {
        java.nio.file.Files.writeString(dir.resolve("head.json"),
                "{\"inputSize\":2,\"weights\":[[1,0],[0,1]],\"bias\":[0,0]}");

        Head head = Head.read(dir.resolve("head.json"));

        assertThat(head.isMlp()).isFalse();
        assertThat(head.hasFallback()).isFalse();
        assertThat(head.probabilities(new float[] {2, 0})[0]).isGreaterThan(0.8f);
    }

    @Test
    void bagOfWordsBaselineSeparatesClassesByTheirWords() {
        List<String> texts = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        Random random = new Random(4);
        String[][] vocabulary = {{"refund", "money", "charged", "payment"}, {"card", "arrived", "delivery", "post"}};
        for (int i = 0; i < 200; i++) {
            int label = i % 2;
            String[] words = vocabulary[label];
            texts.add("please " + words[random.nextInt(4)] + " " + words[random.nextInt(4)] + " thanks");
            labels.add(label);
        }
        BagOfWordsBaseline baseline = new BagOfWordsBaseline();
        baseline.fit(texts, labels.stream().mapToInt(Integer::intValue).toArray(), 2, 1);

        assertThat(baseline.predict("I was charged twice, I want a refund")).isEqualTo(0);
        assertThat(baseline.predict("my card has not arrived in the post")).isEqualTo(1);
    }

    @Test
    void bagOfWordsCountsWordBigramsAndCharGramsWithinWords() {
        var grams = BagOfWordsBaseline.ngrams("Free prize");

        assertThat(grams).containsKeys("w:free", "w:prize", "w:free prize", "c: fr", "c:free ", "c:rize ");
        assertThat(grams).doesNotContainKey("c:e p");
    }

    @Test
    void lexicalFeaturesKeepFrequentNgramsAndIgnorePadding() {
        List<long[]> texts = List.of(new long[] {101, 5, 6, 102}, new long[] {101, 5, 6, 7, 102},
                new long[] {101, 8, 102});
        LexicalFeatures lexical = LexicalFeatures.fit(texts, 100, 2);

        // 101, 102, 5, 6 and the bigrams (101,5), (5,6) occur in two texts or more; 7, 8 and (6,7) do not.
        assertThat(lexical.unigramCount()).isEqualTo(4);
        assertThat(lexical.size()).isEqualTo(6);
        float[] plain = lexical.vector(new long[] {101, 5, 6, 102});
        float[] padded = lexical.vector(new long[] {101, 5, 6, 102, 0, 0, 0});
        assertThat(padded).containsExactly(plain);
        double norm = 0;
        for (float v : plain) {
            norm += v * v;
        }
        assertThat(norm).isCloseTo(1.0, within(1e-5));
    }

    @Test
    void fallbackThresholdIsTheLowestReachingTheRecall() {
        // Class 2 is the fallback. Its two texts have top in-scope scores 0.5 and 0.7.
        float[][] probabilities = {{0.5f, 0.3f, 0.2f}, {0.7f, 0.2f, 0.1f}, {0.9f, 0.05f, 0.05f}};
        int[] labels = {2, 2, 0};

        float half = TrainCommand.pickFallbackThreshold(probabilities, labels, 2, 0.5);
        float all = TrainCommand.pickFallbackThreshold(probabilities, labels, 2, 1.0);

        assertThat(half).isCloseTo(0.51f, within(1e-6f));
        assertThat(all).isCloseTo(0.71f, within(1e-6f));
        // The in-scope text at 0.9 stays in scope at that threshold.
        assertThat(TrainCommand.argmax(Head.applyFallback(probabilities[2], 2, all))).isEqualTo(0);
    }

    private static double accuracy(Head head, float[][] x, int[] y) {
        int right = 0;
        for (int i = 0; i < x.length; i++) {
            right += TrainCommand.argmax(head.probabilities(x[i])) == y[i] ? 1 : 0;
        }
        return (double) right / x.length;
    }
}
