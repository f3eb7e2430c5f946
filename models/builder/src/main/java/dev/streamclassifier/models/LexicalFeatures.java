package dev.streamclassifier.models;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * TF-IDF over the word-piece unigrams and bigrams of a text's token ids, L2-normalised: the lexical signal a frozen
 * sentence encoder smooths away (a slur, "txt", "claim", a phone number's pieces), computed from the same
 * {@code input_ids} the encoder reads. ONNX's {@code TfIdfVectorizer} computes the counts inside the classifier graph
 * (see {@link OnnxComposer}), so the job needs nothing beyond the tokenizer it already runs.
 *
 * <p>Padding (id 0) is never in the vocabulary, so padded batches give the same vectors as single texts.
 *
 * @param ngrams the vocabulary: each entry one token id (unigram) or two (bigram); unigrams first
 * @param idf one weight per n-gram: {@code ln((1 + n) / (1 + df)) + 1}, as scikit-learn's smooth idf
 */
public final class LexicalFeatures {
    private static final int ID_BITS = 21;

    private final long[][] ngrams;
    private final float[] idf;
    private final Map<Long, Integer> index = new HashMap<>();

    @JsonCreator
    public LexicalFeatures(@JsonProperty("ngrams") long[][] ngrams, @JsonProperty("idf") float[] idf) {
        if (ngrams.length != idf.length) {
            throw new IllegalArgumentException(ngrams.length + " n-grams but " + idf.length + " idf weights");
        }
        this.ngrams = ngrams;
        this.idf = idf;
        boolean bigramsStarted = false;
        for (int i = 0; i < ngrams.length; i++) {
            if (ngrams[i].length == 2) {
                bigramsStarted = true;
            } else if (ngrams[i].length != 1 || bigramsStarted) {
                throw new IllegalArgumentException("n-grams must be unigrams first, then bigrams; entry " + i
                        + " breaks that");
            }
            index.put(key(ngrams[i]), i);
        }
    }

    @JsonProperty("ngrams")
    public long[][] ngrams() {
        return ngrams;
    }

    @JsonProperty("idf")
    public float[] idf() {
        return idf;
    }

    @JsonIgnore
    public int size() {
        return ngrams.length;
    }

    @JsonIgnore
    public int unigramCount() {
        int count = 0;
        while (count < ngrams.length && ngrams[count].length == 1) {
            count++;
        }
        return count;
    }

    /**
     * Picks the vocabulary from training texts' token ids: n-grams in at least {@code minDocuments} texts, the
     * {@code maxFeatures} most frequent of them.
     */
    public static LexicalFeatures fit(List<long[]> tokenIds, int maxFeatures, int minDocuments) {
        Map<Long, int[]> documentFrequency = new HashMap<>();
        for (long[] ids : tokenIds) {
            for (long key : distinctKeys(ids)) {
                documentFrequency.computeIfAbsent(key, k -> new int[1])[0]++;
            }
        }
        List<Map.Entry<Long, int[]>> kept = new ArrayList<>();
        for (Map.Entry<Long, int[]> entry : documentFrequency.entrySet()) {
            if (entry.getValue()[0] >= minDocuments) {
                kept.add(entry);
            }
        }
        kept.sort(Comparator.<Map.Entry<Long, int[]>>comparingInt(e -> -e.getValue()[0])
                .thenComparingLong(Map.Entry::getKey));
        List<Map.Entry<Long, int[]>> top = new ArrayList<>(kept.subList(0, Math.min(maxFeatures, kept.size())));
        // Unigrams first, then bigrams: the order TfIdfVectorizer's pool needs.
        top.sort(Comparator.<Map.Entry<Long, int[]>>comparingInt(e -> isBigram(e.getKey()) ? 1 : 0)
                .thenComparingLong(Map.Entry::getKey));
        long[][] ngrams = new long[top.size()][];
        float[] idf = new float[top.size()];
        double n = tokenIds.size();
        for (int i = 0; i < top.size(); i++) {
            long key = top.get(i).getKey();
            ngrams[i] = isBigram(key) ? new long[] {(key >>> ID_BITS) - 1, key & ((1L << ID_BITS) - 1)}
                    : new long[] {key};
            idf[i] = (float) (Math.log((1 + n) / (1 + top.get(i).getValue()[0])) + 1);
        }
        return new LexicalFeatures(ngrams, idf);
    }

    /** The dense feature vector of one text's (unpadded or zero-padded) token ids. */
    public float[] vector(long[] ids) {
        float[] result = new float[ngrams.length];
        SparseVector sparse = sparse(ids);
        for (int k = 0; k < sparse.indices().length; k++) {
            result[sparse.indices()[k]] = sparse.values()[k];
        }
        return result;
    }

    /** The same vector in sparse form, indices ascending. */
    public SparseVector sparse(long[] ids) {
        Map<Integer, Integer> counts = new HashMap<>();
        for (int i = 0; i < ids.length; i++) {
            Integer unigram = index.get(ids[i]);
            if (unigram != null) {
                counts.merge(unigram, 1, Integer::sum);
            }
            if (i + 1 < ids.length) {
                Integer bigram = index.get(bigramKey(ids[i], ids[i + 1]));
                if (bigram != null) {
                    counts.merge(bigram, 1, Integer::sum);
                }
            }
        }
        int[] indices = counts.keySet().stream().mapToInt(Integer::intValue).sorted().toArray();
        float[] values = new float[indices.length];
        double norm = 0;
        for (int k = 0; k < indices.length; k++) {
            values[k] = counts.get(indices[k]) * idf[indices[k]];
            norm += values[k] * values[k];
        }
        norm = Math.max(Math.sqrt(norm), 1e-12);
        for (int k = 0; k < values.length; k++) {
            values[k] = (float) (values[k] / norm);
        }
        return new SparseVector(indices, values);
    }

    private static List<Long> distinctKeys(long[] ids) {
        java.util.Set<Long> keys = new java.util.HashSet<>();
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] != 0) {
                keys.add(ids[i]);
            }
            if (i + 1 < ids.length && ids[i] != 0 && ids[i + 1] != 0) {
                keys.add(bigramKey(ids[i], ids[i + 1]));
            }
        }
        return new ArrayList<>(keys);
    }

    // Unigram keys are the id itself (< 2^21); bigram keys carry (first + 1) in the high bits, so they never collide.
    private static long bigramKey(long first, long second) {
        return ((first + 1) << ID_BITS) | second;
    }

    private static boolean isBigram(long key) {
        return key >>> ID_BITS != 0;
    }

    private static long key(long[] ngram) {
        return ngram.length == 1 ? ngram[0] : bigramKey(ngram[0], ngram[1]);
    }

    /** Non-zero entries of a feature vector. */
    public record SparseVector(int[] indices, float[] values) {}
}
