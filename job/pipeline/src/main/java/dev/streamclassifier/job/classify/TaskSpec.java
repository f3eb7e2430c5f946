package dev.streamclassifier.job.classify;

import java.io.Serializable;

/**
 * One classification task: its name, the classifier it runs, the topic its labelled events go to, its confidence
 * threshold (null: the model manifest's), and a label that always means "a person should look" (null: none), such as
 * {@code oos}, out of scope, for support-intent.
 */
public record TaskSpec(String name, String modelName, String outputTopic, Float threshold, String reviewLabel)
        implements Serializable {

    public TaskSpec(String name, String modelName, String outputTopic, Float threshold) {
        this(name, modelName, outputTopic, threshold, null);
    }
}
