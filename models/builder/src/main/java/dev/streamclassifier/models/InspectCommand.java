package dev.streamclassifier.models;

import dev.streamclassifier.udf.ModelDirectory;
import dev.streamclassifier.udf.ModelManifest;

import java.io.IOException;
import java.nio.file.Files;

/** Prints a classifier's manifest, labels, inputs, file size and checksum (verified). */
final class InspectCommand {
    private InspectCommand() {}

    static void run(CommandLine line) throws IOException {
        ModelDirectory directory = ModelDirectory.locate(line.required("model"),
                line.get("models-dir", DefaultPaths.ASSEMBLED));
        line.rejectUnknown();
        ModelManifest manifest = directory.readManifest();
        directory.readVerifiedModel(manifest);
        System.out.printf("name:        %s%n", manifest.name);
        System.out.printf("version:     %s%n", manifest.version);
        System.out.printf("description: %s%n", manifest.description);
        System.out.printf("encoder:     %s%n", manifest.encoder);
        System.out.printf("inputs:      %s (max %d tokens)%n", manifest.inputNames, manifest.maxTokens);
        System.out.printf("output:      %s%n", manifest.outputName);
        System.out.printf("labels (%d): %s%n", manifest.labels.size(), String.join(", ", manifest.labels));
        System.out.printf("threshold:   %.3f (temperature %.3f folded into the head)%n", manifest.threshold,
                manifest.temperature);
        System.out.printf("file:        %s (%,d bytes)%n", directory.modelFile(), Files.size(directory.modelFile()));
        System.out.printf("sha256:      %s (verified)%n", manifest.sha256);
        manifest.metrics.forEach((key, value) -> System.out.printf("metric:      %s = %s%n", key, value));
    }
}
