package dev.streamclassifier.udf;

import java.util.List;

/**
 * Something that labels a batch of texts with the classes of its manifest. {@link TextClassifier} is the real one;
 * tests wrap it to inject faults.
 */
public interface BatchClassifier extends AutoCloseable {
    ModelManifest manifest();

    /**
     * Classifies the texts as one batch and returns one result per text, in input order; a text longer than the
     * model's window is read as {@code windows} says.
     */
    List<ClassScores> classify(List<String> texts, WindowPolicy windows) throws Exception;

    /** As {@link #classify(List, WindowPolicy)}, reading only the start of a long text. */
    default List<ClassScores> classify(List<String> texts) throws Exception {
        return classify(texts, WindowPolicy.FIRST_WINDOW);
    }
}
