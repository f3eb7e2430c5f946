package dev.streamclassifier.udf;

import java.io.Serializable;

/**
 * How a batch of texts is cut into model calls.
 *
 * @param sortByLength order texts by token count first, so texts of similar length share a call and padding shrinks
 * @param microBatchSize texts per model call; 0 means all of them in one call
 */
public record BatchShape(boolean sortByLength, int microBatchSize) implements Serializable {
    /** The whole batch in one call, padded to its longest text. */
    public static final BatchShape ONE_BATCH = new BatchShape(false, 0);
}
