package dev.streamclassifier.udf;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A HuggingFace tokenizer loaded from a local {@code tokenizer.json}, truncating to the model's window and never
 * padding: padding happens per batch, to the longest text in it ({@link TokenBatch}). The padding and truncation
 * settings stored in the file are overridden, because some encoders ship with fixed padding to 128 tokens, which costs
 * 2-3x the inference time on short texts.
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
                .optTruncation(true)
                .optMaxLength(maxTokens)
                .optPadding(false)
                .optWithOverflowingTokens(false)
                .build();
        return new TextTokenizer(tokenizer, maxTokens);
    }

    public int maxTokens() {
        return maxTokens;
    }

    /** Tokenizes one text. Null is treated as empty text. */
    public TokenizedText encode(String text) {
        Encoding encoding = tokenizer.encode(text == null ? "" : text);
        return new TokenizedText(encoding.getIds(), encoding.getTypeIds(), encoding.getAttentionMask(),
                encoding.exceedMaxLength());
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
