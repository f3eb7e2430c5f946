package dev.streamclassifier.job.lifecycle;

import dev.streamclassifier.udf.ModelDirectory;
import dev.streamclassifier.udf.ModelManifest;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Versioned models: {@code ROOT/NAME/VERSION/{manifest.json, model.onnx, tokenizer.json}}, read through Flink's
 * {@link FileSystem}, so {@code file://} works as is and {@code s3://} and others through Flink's filesystem plugins. A
 * version is never changed once published: a new one gets a new directory. Files on a remote store are copied to a
 * local directory first (ONNX Runtime and the tokenizer read local files); the copy is checked like any model, by the
 * manifest's checksum, when it is opened.
 */
public final class ModelStore implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final List<String> FILES = List.of(ModelManifest.FILE_NAME, ModelDirectory.MODEL_FILE,
            ModelDirectory.TOKENIZER_FILE);

    private final String root;

    /** @param root the store's root URI, e.g. {@code file:///models} or {@code s3://bucket/models} */
    public ModelStore(String root) {
        URI uri = URI.create(root.endsWith("/") ? root : root + "/");
        if (uri.getScheme() == null) {
            throw new IllegalArgumentException("model-store.uri must be a URI with a scheme, e.g. file:///models or "
                    + "s3://bucket/models, not '" + root + "'");
        }
        this.root = uri.toString();
    }

    public String root() {
        return root;
    }

    /** What is done with a version's directory while it is on this machine. */
    @FunctionalInterface
    public interface DirectoryUse<T> {
        T apply(ModelDirectory directory) throws Exception;
    }

    /**
     * Runs {@code use} on the version's directory on this machine. A copy from a remote store is deleted afterwards:
     * ONNX Runtime and the tokenizer have read what they need once they are open, and every update or restart would
     * otherwise leave one more copy on the TaskManager's disk.
     */
    public <T> T withVersion(String model, String version, DirectoryUse<T> use) throws Exception {
        ModelDirectory directory = fetch(model, version);
        boolean copy = !isLocal(new Path(root + model + "/" + version));
        try {
            return use.apply(directory);
        } finally {
            if (copy) {
                deleteCopy(directory.path());
            }
        }
    }

    private static boolean isLocal(Path directory) throws IOException {
        return !directory.getFileSystem().isDistributedFS() && "file".equals(directory.toUri().getScheme());
    }

    private static void deleteCopy(java.nio.file.Path copy) throws IOException {
        for (String file : FILES) {
            Files.deleteIfExists(copy.resolve(file));
        }
        Files.deleteIfExists(copy);
    }

    /** The version's directory on this machine: in place for a local store, else a copy in a temporary directory. */
    ModelDirectory fetch(String model, String version) throws IOException {
        checkName("model", model);
        checkName("version", version);
        Path directory = new Path(root + model + "/" + version);
        FileSystem fs = directory.getFileSystem();
        if (!fs.exists(directory)) {
            throw new IOException("model store " + root + " has no " + model + "/" + version);
        }
        if (isLocal(directory)) {
            return ModelDirectory.of(java.nio.file.Path.of(directory.toUri()));
        }
        java.nio.file.Path local = Files.createTempDirectory("model-" + model + "-" + version + "-");
        for (String file : FILES) {
            try (InputStream in = fs.open(new Path(directory, file))) {
                Files.copy(in, local.resolve(file), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return ModelDirectory.of(local);
    }

    /**
     * Copies a model directory into the store as {@code model/version}.
     *
     * @throws IOException if the version exists already: published versions never change, so every instance that
     *     loads one loads the same files
     */
    public void publish(String model, String version, ModelDirectory from) throws IOException {
        checkName("model", model);
        checkName("version", version);
        Path directory = new Path(root + model + "/" + version);
        FileSystem fs = directory.getFileSystem();
        if (fs.exists(directory)) {
            throw new IOException("the store already holds " + model + "/" + version + ": a published version never "
                    + "changes, give the new one a new version");
        }
        fs.mkdirs(directory);
        for (String file : FILES) {
            try (FSDataOutputStream out = fs.create(new Path(directory, file), FileSystem.WriteMode.NO_OVERWRITE)) {
                Files.copy(from.path().resolve(file), out);
            }
        }
    }

    /** The versions of a model in the store, sorted by name. */
    public List<String> versions(String model) throws IOException {
        checkName("model", model);
        Path directory = new Path(root + model);
        FileSystem fs = directory.getFileSystem();
        List<String> versions = new ArrayList<>();
        if (fs.exists(directory)) {
            for (FileStatus status : fs.listStatus(directory)) {
                if (status.isDir()) {
                    versions.add(status.getPath().getName());
                }
            }
        }
        versions.sort(String::compareTo);
        return versions;
    }

    /** Names become path segments: no separators, no parent references. */
    private static void checkName(String what, String name) {
        if (name == null || name.isBlank() || name.contains("/") || name.contains("\\") || name.startsWith(".")) {
            throw new IllegalArgumentException("invalid " + what + " name '" + name + "'");
        }
    }

    @Override
    public String toString() {
        return root;
    }
}
