package dev.streamclassifier.udf;

/** Closes several resources so that one failing close does not leak the others. */
public final class Closeables {
    private Closeables() {}

    /**
     * Closes each resource in the given order, even when an earlier one throws; the first failure is rethrown with the
     * later ones suppressed. Null entries are skipped.
     */
    public static void closeAll(AutoCloseable... resources) throws Exception {
        Exception first = null;
        for (AutoCloseable resource : resources) {
            if (resource == null) {
                continue;
            }
            try {
                resource.close();
            } catch (Exception e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
