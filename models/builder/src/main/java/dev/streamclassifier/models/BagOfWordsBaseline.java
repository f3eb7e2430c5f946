package dev.streamclassifier.models;

import dev.streamclassifier.models.LexicalFeatures.SparseVector;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The bar every model must clear: TF-IDF over word 1-2-grams and char 3-5-grams (within word boundaries, as
 * scikit-learn's {@code char_wb}), sublinear term frequency, smooth idf, each block L2-normalised, n-grams seen in at
 * least two training texts; multinomial logistic regression with L2 and balanced class weights on top. Trained and
 * measured on the same split as the model it is compared with.
 */
final class BagOfWordsBaseline {
    private static final Pattern WORD = Pattern.compile("(?U)\\b\\w\\w+\\b");

    private final Map<String, Integer> vocabulary = new HashMap<>();
    private float[] idf;
    private SparseSoftmaxRegression.Model model;

    /** Fits the vocabulary and the classifier on the training texts. */
    void fit(List<String> texts, int[] labels, int classes, long seed) {
        Map<String, int[]> documentFrequency = new HashMap<>();
        List<Map<String, Integer>> counted = new ArrayList<>(texts.size());
        for (String text : texts) {
            Map<String, Integer> counts = ngrams(text);
            counted.add(counts);
            for (String gram : counts.keySet()) {
                documentFrequency.computeIfAbsent(gram, g -> new int[1])[0]++;
            }
        }
        List<String> kept = new ArrayList<>();
        documentFrequency.forEach((gram, df) -> {
            if (df[0] >= 2) {
                kept.add(gram);
            }
        });
        kept.sort(null);
        idf = new float[kept.size()];
        for (int i = 0; i < kept.size(); i++) {
            vocabulary.put(kept.get(i), i);
            idf[i] = (float) (Math.log((1.0 + texts.size()) / (1.0 + documentFrequency.get(kept.get(i))[0])) + 1);
        }
        List<SparseVector> rows = new ArrayList<>(texts.size());
        for (Map<String, Integer> counts : counted) {
            rows.add(vectorize(counts));
        }
        model = new SparseSoftmaxRegression(1e-6, 10, 0.2, seed).train(rows, vocabulary.size(), labels, classes);
    }

    int predict(String text) {
        return model.predict(vectorize(ngrams(text)));
    }

    int features() {
        return vocabulary.size();
    }

    /** Word 1-2-grams (prefixed "w:") and char_wb 3-5-grams (prefixed "c:") with their counts. */
    static Map<String, Integer> ngrams(String text) {
        String lower = text.toLowerCase(Locale.ROOT);
        Map<String, Integer> counts = new HashMap<>();
        List<String> words = new ArrayList<>();
        Matcher matcher = WORD.matcher(lower);
        while (matcher.find()) {
            words.add(matcher.group());
        }
        for (int i = 0; i < words.size(); i++) {
            counts.merge("w:" + words.get(i), 1, Integer::sum);
            if (i + 1 < words.size()) {
                counts.merge("w:" + words.get(i) + " " + words.get(i + 1), 1, Integer::sum);
            }
        }
        for (String token : lower.split("\\s+")) {
            if (token.isEmpty()) {
                continue;
            }
            String padded = " " + token + " ";
            for (int n = 3; n <= 5; n++) {
                for (int i = 0; i + n <= padded.length(); i++) {
                    counts.merge("c:" + padded.substring(i, i + n), 1, Integer::sum);
                }
                if (padded.length() < n) {
                    break;
                }
            }
        }
        return counts;
    }

    private SparseVector vectorize(Map<String, Integer> counts) {
        // Two blocks, each L2-normalised on its own, as a union of two scikit-learn vectorizers would be.
        TreeMap<Integer, Float> words = new TreeMap<>();
        TreeMap<Integer, Float> chars = new TreeMap<>();
        counts.forEach((gram, count) -> {
            Integer index = vocabulary.get(gram);
            if (index != null) {
                float value = (float) ((1 + Math.log(count)) * idf[index]);
                (gram.startsWith("w:") ? words : chars).put(index, value);
            }
        });
        normalise(words);
        normalise(chars);
        TreeMap<Integer, Float> all = new TreeMap<>(words);
        all.putAll(chars);
        int[] indices = new int[all.size()];
        float[] values = new float[all.size()];
        int k = 0;
        for (Map.Entry<Integer, Float> entry : all.entrySet()) {
            indices[k] = entry.getKey();
            values[k++] = entry.getValue();
        }
        return new SparseVector(indices, values);
    }

    private static void normalise(Map<Integer, Float> block) {
        double norm = 0;
        for (float value : block.values()) {
            norm += value * value;
        }
        double length = Math.max(Math.sqrt(norm), 1e-12);
        block.replaceAll((index, value) -> (float) (value / length));
    }
}
