package dev.streamclassifier.udf;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * A HuggingFace tokenizer loaded from a local {@code tokenizer.json}, cutting to the model's window (or into several
 * windows) and never padding: padding happens per batch, to the longest text in it ({@link TokenBatch}). The padding
 * and truncation settings stored in the file are overridden, because some encoders ship with fixed padding to 128
 * tokens, which costs 2-3x the inference time on short texts.
 *
 * <p>Not thread-safe to close while encoding; {@link #close()} is idempotent.
 */
public final class TextTokenizer implements AutoCloseable {
    private final HuggingFaceTokenizer tokenizer;
    private final int maxTokens;
    private boolean closed;

    private TextTokenizer(HuggingFaceTokenizer tokenizer, int maxTokens) {
        this.tokenizer = tokenizer;
        this.maxTokens = maxTokens;
    }

    /** Loads {@code tokenizerJson}; texts longer than {@code maxTokens} tokens (special tokens included) are cut. */
    public static TextTokenizer load(Path tokenizerJson, int maxTokens) throws IOException {
        if (!Files.isRegularFile(tokenizerJson)) {
            throw new IOException("Tokenizer file " + tokenizerJson + " does not exist: a model directory must hold "
                    + "tokenizer.json next to model.onnx");
        }
        // DJL must never reach for the network: on a CUDA host it would try to download a GPU build of itself.
        System.setProperty("ai.djl.offline", "true");
        HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.builder()
                .optTokenizerPath(tokenizerJson)
                .optAddSpecialTokens(true)
                // Cut here, not by the library: a long text may be read as several windows (encodeWindows).
                .optTruncation(false)
                .optPadding(false)
                .optWithOverflowingTokens(false)
                .build();
        return new TextTokenizer(tokenizer, maxTokens);
    }

    public int maxTokens() {
        return maxTokens;
    }

    /** Tokenizes one text, cut to the window: its start. Null is treated as empty text. */
    public TokenizedText encode(String text) {
        return encodeWindows(text, 1, 0, 0)[0];
    }

    /**
     * Tokenizes one text as up to {@code maxWindows} overlapping windows from its start: each holds at most
     * {@code windowTokens} tokens (0 or more than the model's window: the model's window), special tokens included, and
     * shares {@code overlap} tokens with the one before. A text that fits one window is one window.
     */
    public TokenizedText[] encodeWindows(String text, int maxWindows, int windowTokens, int overlap) {
        Encoding encoding = tokenizer.encode(text == null ? "" : text);
        long[] ids = encoding.getIds();
        int size = windowTokens <= 0 ? maxTokens : Math.min(windowTokens, maxTokens);
        if (ids.length <= size) {
            return new TokenizedText[] {new TokenizedText(ids, encoding.getTypeIds(), encoding.getAttentionMask(),
                    false)};
        }
        // The special tokens around the text ([CLS] ... [SEP], <s> ... </s>) frame every window.
        long[] special = encoding.getSpecialTokenMask();
        int lead = 0;
        while (lead < ids.length && special[lead] == 1) {
            lead++;
        }
        int trail = 0;
        while (trail < ids.length - lead && special[ids.length - 1 - trail] == 1) {
            trail++;
        }
        int inner = ids.length - lead - trail;
        int width = Math.max(1, size - lead - trail);
        int stride = Math.max(1, width - Math.max(0, Math.min(overlap, width - 1)));
        int read = Math.min(inner, width + (Math.max(1, maxWindows) - 1) * stride);
        int count = 1 + Math.max(0, (read - width + stride - 1) / stride);
        TokenizedText[] windows = new TokenizedText[count];
        for (int w = 0; w < count; w++) {
            int from = lead + w * stride;
            int to = Math.min(lead + read, from + width);
            long[] windowIds = new long[lead + (to - from) + trail];
            System.arraycopy(ids, 0, windowIds, 0, lead);
            System.arraycopy(ids, from, windowIds, lead, to - from);
            System.arraycopy(ids, ids.length - trail, windowIds, lead + (to - from), trail);
            long[] mask = new long[windowIds.length];
            Arrays.fill(mask, 1);
            // The text goes on past the last window read: it was cut.
            boolean cut = w == count - 1 && read < inner;
            windows[w] = new TokenizedText(windowIds, new long[windowIds.length], mask, cut);
        }
        return windows;
    }

    /** Tokenizes each text on its own, in order. */
    public TokenizedText[] encodeAll(List<String> texts) {
        TokenizedText[] result = new TokenizedText[texts.size()];
        for (int i = 0; i < result.length; i++) {
            result[i] = encode(texts.get(i));
        }
        return result;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            tokenizer.close();
        }
    }

    /** Token ids, token type ids and attention mask of one text, unpadded. */
    public record TokenizedText(long[] ids, long[] typeIds, long[] attentionMask, boolean truncated) {
        public int length() {
            return ids.length;
        }
    }
}
