package dev.streamclassifier.models;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Base sentence encoders unpacked at build time from the Maven artifacts that ship them, one directory per encoder id:
 * {@code ENCODERS/ID/ID.onnx} and {@code ENCODERS/ID/ID-tokenizer.json}.
 */
public record Encoders(Path root) {

    /** The default place: {@code models/builder/target/encoders}, beside the model builder's jar. */
    public static Encoders besideJarOr(Path fallback) {
        try {
            Path jar = Path.of(Encoders.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path candidate = (Files.isDirectory(jar) ? jar.getParent() : jar.getParent()).resolve("encoders");
            if (Files.isDirectory(candidate)) {
                return new Encoders(candidate);
            }
        } catch (Exception ignored) {
            // not run from a jar or a class directory: use the fallback
        }
        return new Encoders(fallback);
    }

    public Path model(String encoderId) throws IOException {
        return existing(root.resolve(encoderId).resolve(encoderId + ".onnx"), encoderId);
    }

    public Path tokenizer(String encoderId) throws IOException {
        return existing(root.resolve(encoderId).resolve(encoderId + "-tokenizer.json"), encoderId);
    }

    private Path existing(Path file, String encoderId) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("Encoder '" + encoderId + "' not found: " + file.toAbsolutePath()
                    + " is missing. Run 'mvn -pl models/builder -am package' to unpack the encoders, or pass --encoders DIR.");
        }
        return file;
    }
}
