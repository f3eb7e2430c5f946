package dev.streamclassifier.udf;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;

/**
 * A classifier on disk: a directory with {@code manifest.json}, {@code model.onnx} and {@code tokenizer.json}. The
 * default classifiers ship inside the job jar under {@code classifiers/NAME/} and are copied out to a local cache on
 * first use, because ONNX Runtime and the tokenizer read files.
 */
public final class ModelDirectory implements Serializable {
    private static final long serialVersionUID = 1L;

    public static final String MODEL_FILE = "model.onnx";
    public static final String TOKENIZER_FILE = "tokenizer.json";
    /** Where bundled classifiers live on the class path. */
    public static final String CLASSPATH_ROOT = "classifiers/";

    private final String path;

    private ModelDirectory(Path path) {
        this.path = path.toAbsolutePath().toString();
    }

    public static ModelDirectory of(Path directory) {
        return new ModelDirectory(directory);
    }

    /**
     * Finds the classifier {@code name}: under {@code modelsRoot/NAME} when a root is given, else among the classifiers
     * bundled on the class path.
     */
    public static ModelDirectory locate(String name, String modelsRoot) throws IOException {
        if (modelsRoot != null && !modelsRoot.isBlank()) {
            Path directory = Path.of(modelsRoot).resolve(name);
            if (!Files.isRegularFile(directory.resolve(ModelManifest.FILE_NAME))) {
                throw new IOException("No classifier '" + name + "' in " + Path.of(modelsRoot).toAbsolutePath()
                        + ": expected " + directory.resolve(ModelManifest.FILE_NAME)
                        + " (build one with the model builder, or leave the models directory unset to use the bundled ones)");
            }
            return of(directory);
        }
        return extractBundled(name);
    }

    private static ModelDirectory extractBundled(String name) throws IOException {
        ClassLoader loader = ModelDirectory.class.getClassLoader();
        String prefix = CLASSPATH_ROOT + name + "/";
        ModelManifest manifest;
        try (InputStream in = loader.getResourceAsStream(prefix + ModelManifest.FILE_NAME)) {
            if (in == null) {
                throw new IOException("No bundled classifier '" + name + "' on the class path (looked for " + prefix
                        + ModelManifest.FILE_NAME + "). Bundled: " + bundledNames()
                        + ". Use one of them, or point the models directory at your own.");
            }
            manifest = ModelManifest.read(in, prefix + ModelManifest.FILE_NAME);
        }
        // Keyed by checksum, so a rebuilt model never reuses a stale copy and concurrent slots share one copy.
        Path cache = Path.of(System.getProperty("java.io.tmpdir"), "stream-classifier-models",
                name + "-" + manifest.sha256.substring(0, Math.min(16, manifest.sha256.length())));
        Path marker = cache.resolve(".complete");
        if (!Files.exists(marker)) {
            Files.createDirectories(cache);
            for (String file : List.of(ModelManifest.FILE_NAME, MODEL_FILE, TOKENIZER_FILE)) {
                try (InputStream in = loader.getResourceAsStream(prefix + file)) {
                    if (in == null) {
                        throw new IOException("Bundled classifier '" + name + "' lacks " + file + ": rebuild with mvn install");
                    }
                    Path temporary = Files.createTempFile(cache, file, ".part");
                    Files.copy(in, temporary, StandardCopyOption.REPLACE_EXISTING);
                    Files.move(temporary, cache.resolve(file), StandardCopyOption.REPLACE_EXISTING,
                            StandardCopyOption.ATOMIC_MOVE);
                }
            }
            Files.writeString(marker, manifest.sha256);
        }
        return of(cache);
    }

    /** The names listed in {@code classifiers/index.txt} on the class path, for error messages. */
    public static List<String> bundledNames() {
        try (InputStream in = ModelDirectory.class.getClassLoader().getResourceAsStream(CLASSPATH_ROOT + "index.txt")) {
            if (in == null) {
                return List.of();
            }
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).lines()
                    .map(String::trim).filter(line -> !line.isEmpty()).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    public Path path() {
        return Path.of(path);
    }

    public Path manifestFile() {
        return path().resolve(ModelManifest.FILE_NAME);
    }

    public Path modelFile() {
        return path().resolve(MODEL_FILE);
    }

    public Path tokenizerFile() {
        return path().resolve(TOKENIZER_FILE);
    }

    public ModelManifest readManifest() throws IOException {
        return ModelManifest.read(manifestFile());
    }

    /**
     * Copies the model into {@code target} (created if need be) with its manifest changed by {@code edit}: a new version
     * tag on the same weights, say, for a model store.
     */
    public ModelDirectory copyTo(Path target, Consumer<ModelManifest> edit) throws IOException {
        Files.createDirectories(target);
        Files.copy(modelFile(), target.resolve(MODEL_FILE));
        Files.copy(tokenizerFile(), target.resolve(TOKENIZER_FILE));
        ModelManifest manifest = readManifest();
        edit.accept(manifest);
        manifest.write(target.resolve(ModelManifest.FILE_NAME));
        return of(target);
    }

    /**
     * Reads {@code model.onnx} and checks it against the manifest's checksum, so a corrupt or swapped file fails here
     * and not with a confusing native error.
     */
    public byte[] readVerifiedModel(ModelManifest manifest) throws IOException {
        if (!Files.isRegularFile(modelFile())) {
            throw new IOException("Model file " + modelFile() + " does not exist");
        }
        byte[] bytes = Files.readAllBytes(modelFile());
        String actual = sha256(bytes);
        if (manifest.sha256 == null || manifest.sha256.isBlank()) {
            throw new IOException("Manifest " + manifestFile() + " has no sha256: assemble the model with the model "
                    + "builder, which records it");
        }
        if (!actual.equalsIgnoreCase(manifest.sha256)) {
            throw new IOException("Model file " + modelFile() + " has sha256 " + actual + " but its manifest says "
                    + manifest.sha256 + ": the file is corrupt or belongs to another model; rebuild it (mvn install)");
        }
        return bytes;
    }

    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    @Override
    public String toString() {
        return path;
    }
}
