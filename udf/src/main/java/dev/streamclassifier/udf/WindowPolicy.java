package dev.streamclassifier.udf;

import java.io.Serializable;
import java.util.Locale;

/**
 * How a text longer than one window is read: in up to {@code maxWindows} overlapping windows whose scores are combined.
 * The cost of a text grows with the windows read, so {@code maxWindows} is its bound.
 *
 * @param maxWindows the most windows read from one text; 1 reads only its start
 * @param windowTokens tokens per window, special tokens included; 0: the model's window. A mean-pooled encoder
 *     dilutes one bad sentence in a long window, so moderation reads sentence-sized windows
 * @param overlapTokens tokens each window shares with the one before, so a sentence one window cuts is whole in the next
 * @param aggregation how the windows' scores become the text's
 * @param benignLabel for {@link Aggregation#MAX}: the label of harmless text; the text gets the scores of its window
 *     least likely to be harmless
 */
public record WindowPolicy(int maxWindows, int windowTokens, int overlapTokens, Aggregation aggregation,
        String benignLabel) implements Serializable {
    /** Only the start of a text, as far as the model's window goes. */
    public static final WindowPolicy FIRST_WINDOW = new WindowPolicy(1, 0, 0, Aggregation.MEAN, null);

    /** How the scores of a text's windows are combined. */
    public enum Aggregation {
        /** The mean of the windows' probabilities: for topics, where the whole text counts. */
        MEAN,
        /** The scores of the window least likely to be benign: for moderation, where one bad passage counts. */
        MAX;

        public static Aggregation parse(String value) {
            try {
                return valueOf(value.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("Unknown window aggregation '" + value + "': use mean or max", e);
            }
        }
    }

    public WindowPolicy {
        if (maxWindows < 1) {
            throw new IllegalArgumentException("at least one window must be read, not " + maxWindows);
        }
        if (windowTokens < 0 || overlapTokens < 0) {
            throw new IllegalArgumentException("token counts cannot be negative");
        }
        if (aggregation == Aggregation.MAX && (benignLabel == null || benignLabel.isBlank())) {
            throw new IllegalArgumentException("max aggregation needs the benign label to compare windows by");
        }
    }
}
