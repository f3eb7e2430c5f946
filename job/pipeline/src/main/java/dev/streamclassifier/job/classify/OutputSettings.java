package dev.streamclassifier.job.classify;

import dev.streamclassifier.job.sink.Encoding;

import java.io.Serializable;

/**
 * What a labelled event carries and where events that need a person go.
 *
 * @param includeText whether labelled events carry the classified text
 * @param maxTextChars longer texts are cut to this many characters in labelled events
 * @param topScores how many of the best classes' scores each prediction lists; 0 lists every class
 * @param reviewTopic where events go when any prediction is unsure or is its task's review label
 * @param deadLetterTopic where inputs that cannot be classified go, with the reason
 * @param maxRecordBytes the most an output record may take, key and value together
 * @param maskPii whether e-mail addresses, phone, card and account numbers are masked in the copied text
 * @param key what keys each output record
 * @param encoding how output records are encoded
 */
public record OutputSettings(boolean includeText, int maxTextChars, int topScores, String reviewTopic,
        String deadLetterTopic, int maxRecordBytes, boolean maskPii, OutputKey key, Encoding encoding)
        implements Serializable {}
