package dev.streamclassifier.job.classify;

import dev.streamclassifier.udf.ClassScores;
import dev.streamclassifier.udf.WindowPolicy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.Normalizer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * One model version's results for texts seen before, least recently used first out. Chat and spam streams repeat
 * themselves ("ok", "thanks", one spam line a thousand times), and a repeated text costs a hash instead of a model call.
 * Keyed by 128 bits of SHA-256 over the text with its whitespace collapsed and trimmed (the tokenizers split on
 * whitespace, so the model sees no difference) and the way long texts are read; the text itself is not kept. One cache
 * belongs to one version of one model: a new version starts empty, so no result of an old version is ever served.
 * Not thread-safe: one per classify instance, used on its inference thread.
 */
public final class ResultCache {
    private static final Pattern WHITESPACE = Pattern.compile("\\s+");

    private final Map<Key, ClassScores> entries;
    private final MessageDigest digest;

    private record Key(long high, long low) {}

    public ResultCache(int maxEntries) {
        this.entries = new LinkedHashMap<>(Math.min(maxEntries, 1 << 16), 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Key, ClassScores> eldest) {
                return size() > maxEntries;
            }
        };
        try {
            this.digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /** The key of {@code text} read as {@code windows} say; compute once, then {@link #get} and {@link #put}. */
    public Object key(String text, WindowPolicy windows) {
        String normalised = WHITESPACE.matcher(Normalizer.normalize(text, Normalizer.Form.NFC)).replaceAll(" ").trim();
        digest.update(windows.toString().getBytes(StandardCharsets.UTF_8));
        digest.update((byte) 0);
        ByteBuffer hash = ByteBuffer.wrap(digest.digest(normalised.getBytes(StandardCharsets.UTF_8)));
        return new Key(hash.getLong(), hash.getLong());
    }

    public ClassScores get(Object key) {
        return entries.get((Key) key);
    }

    public void put(Object key, ClassScores scores) {
        entries.put((Key) key, scores);
    }

    public int size() {
        return entries.size();
    }
}
