package dev.streamclassifier.job.classify;

import dev.streamclassifier.udf.WindowPolicy;

import java.io.Serializable;

/**
 * One classification task: its name, the classifier it runs, the topic its labelled events go to, its confidence
 * threshold (null: the model manifest's), and a label that always means "a person should look" (null: none), such as
 * {@code oos}, out of scope, for support-intent; and how a text longer than the model's window is read.
 */
public record TaskSpec(String name, String modelName, String outputTopic, Float threshold, String reviewLabel,
        WindowPolicy windows) implements Serializable {

    public TaskSpec(String name, String modelName, String outputTopic, Float threshold) {
        this(name, modelName, outputTopic, threshold, null);
    }

    /** A task that reads only the start of a long text. */
    public TaskSpec(String name, String modelName, String outputTopic, Float threshold, String reviewLabel) {
        this(name, modelName, outputTopic, threshold, reviewLabel, WindowPolicy.FIRST_WINDOW);
    }
}
