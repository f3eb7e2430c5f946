package dev.streamclassifier.job;

import dev.streamclassifier.udf.ModelDirectory;
import dev.streamclassifier.udf.ModelManifest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * A model store on local disk for tests, filled from the bundled models: a version is a copy with the manifest changed
 * as the test needs (its version, its labels) or with its model file damaged.
 */
public final class TestModelStore {
    private final Path root;

    public TestModelStore(Path root) {
        this.root = root;
    }

    /** The store's URI, as {@code model-store.uri} takes it. */
    public String uri() {
        return root.toUri().toString();
    }

    /** {@code model}'s bundled files as {@code version}, the manifest changed by {@code edit}. */
    public Path add(String model, String version, Consumer<ModelManifest> edit) throws IOException {
        return ModelDirectory.locate(model, null).copyTo(root.resolve(model).resolve(version), manifest -> {
            manifest.version = version;
            edit.accept(manifest);
        }).path();
    }

    public Path add(String model, String version) throws IOException {
        return add(model, version, manifest -> { });
    }

    /** A version whose model file no longer matches its manifest's checksum. */
    public Path addCorrupt(String model, String version) throws IOException {
        Path directory = add(model, version);
        byte[] bytes = Files.readAllBytes(directory.resolve(ModelDirectory.MODEL_FILE));
        bytes[bytes.length / 2] ^= 0x5A;
        Files.write(directory.resolve(ModelDirectory.MODEL_FILE), bytes);
        return directory;
    }
}
