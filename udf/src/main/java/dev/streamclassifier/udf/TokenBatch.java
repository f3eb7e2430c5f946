package dev.streamclassifier.udf;

/**
 * Texts of one batch as row-major {@code [batch, sequence]} arrays, padded with zeros to the longest text in the batch.
 */
public final class TokenBatch {
    private final int size;
    private final int sequenceLength;
    private final long[] ids;
    private final long[] typeIds;
    private final long[] attentionMask;

    private TokenBatch(int size, int sequenceLength) {
        this.size = size;
        this.sequenceLength = sequenceLength;
        this.ids = new long[size * sequenceLength];
        this.typeIds = new long[size * sequenceLength];
        this.attentionMask = new long[size * sequenceLength];
    }

    /** Pads {@code texts[from, to)} to the longest among them. */
    public static TokenBatch pad(TextTokenizer.TokenizedText[] texts, int from, int to) {
        if (from >= to) {
            throw new IllegalArgumentException("A batch needs at least one text");
        }
        int longest = 1;
        for (int i = from; i < to; i++) {
            longest = Math.max(longest, texts[i].length());
        }
        TokenBatch batch = new TokenBatch(to - from, longest);
        for (int i = from; i < to; i++) {
            int row = (i - from) * longest;
            TextTokenizer.TokenizedText text = texts[i];
            System.arraycopy(text.ids(), 0, batch.ids, row, text.length());
            System.arraycopy(text.typeIds(), 0, batch.typeIds, row, text.length());
            System.arraycopy(text.attentionMask(), 0, batch.attentionMask, row, text.length());
        }
        return batch;
    }

    public int size() {
        return size;
    }

    public int sequenceLength() {
        return sequenceLength;
    }

    public long[] shape() {
        return new long[] {size, sequenceLength};
    }

    long[] ids() {
        return ids;
    }

    long[] typeIds() {
        return typeIds;
    }

    long[] attentionMask() {
        return attentionMask;
    }
}
