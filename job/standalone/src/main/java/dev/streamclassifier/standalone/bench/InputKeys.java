package dev.streamclassifier.standalone.bench;

import org.apache.flink.runtime.state.KeyGroupRangeAssignment;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;

/**
 * Kafka keys for the bench's input events: one of {@code count} keys (conversations, customers), drawn with a Zipf
 * distribution of exponent {@code skew} (0: every key as likely; 1 and more: a few hot keys carry much of the
 * stream). The job sends all events of a key to one classifier, to keep their order, so skew is what can leave one
 * classifier busy and another idle; {@link #busiestShare} says how much.
 */
final class InputKeys {
    /** Flink's default maximum parallelism for a job of low parallelism: it fixes the key groups. */
    private static final int MAX_PARALLELISM = 128;

    private final byte[][] keys;
    private final double[] cumulative;
    private final Random random = new Random(3);

    InputKeys(int count, double skew) {
        if (count < 1) {
            throw new IllegalArgumentException("--keys must be at least 1");
        }
        keys = new byte[count][];
        cumulative = new double[count];
        double total = 0;
        for (int k = 0; k < count; k++) {
            keys[k] = ("key-" + k).getBytes(StandardCharsets.UTF_8);
            total += 1 / Math.pow(k + 1, skew);
            cumulative[k] = total;
        }
        for (int k = 0; k < count; k++) {
            cumulative[k] /= total;
        }
    }

    byte[] next() {
        int index = Arrays.binarySearch(cumulative, random.nextDouble());
        return keys[Math.min(keys.length - 1, index >= 0 ? index : -index - 1)];
    }

    /** The expected share of all events that the busiest of {@code parallelism} classifiers gets. */
    double busiestShare(int parallelism) {
        double[] shares = new double[parallelism];
        for (int k = 0; k < keys.length; k++) {
            double probability = cumulative[k] - (k == 0 ? 0 : cumulative[k - 1]);
            // The job keys by the hash of the key's bytes (ByInputKey): the same assignment as Flink makes there.
            int subtask = KeyGroupRangeAssignment.assignKeyToParallelOperator(Arrays.hashCode(keys[k]),
                    MAX_PARALLELISM, parallelism);
            shares[subtask] += probability;
        }
        return Arrays.stream(shares).max().orElse(1);
    }
}
