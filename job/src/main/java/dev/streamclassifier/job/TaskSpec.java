package dev.streamclassifier.job;

import java.io.Serializable;

/**
 * One classification task: its name, the classifier it runs, the topic its labelled events go to, and its confidence
 * threshold (null: the model manifest's).
 */
public record TaskSpec(String name, String modelName, String outputTopic, Float threshold) implements Serializable {}
