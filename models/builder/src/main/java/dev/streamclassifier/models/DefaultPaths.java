package dev.streamclassifier.models;

/**
 * Where the builder's commands read and write unless told otherwise, relative to the project root they are run from
 * (as in models/README.md).
 */
final class DefaultPaths {
    private static final String BUILD = "models/builder/target/";

    /** The committed, trained heads and their manifests. */
    static final String HEADS = "models/heads";
    /** The classifiers the build assembled (the job's bundled ones). */
    static final String ASSEMBLED = "models/classifiers/target/classes/classifiers";
    /** Base encoders, unpacked from their Maven artifacts by the builder's build; embeddings of training texts (so a
     * second training run on the same data skips the encoder); evaluation reports. */
    static final String ENCODERS = BUILD + "encoders";
    static final String EMBEDDING_CACHE = BUILD + "embedding-cache";
    static final String REPORTS = BUILD + "reports";
    /** Where {@code import} writes the classifiers it makes: a models directory the job can be pointed at. */
    static final String IMPORTED = BUILD + "imported";

    private DefaultPaths() {}
}
