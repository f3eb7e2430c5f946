package dev.streamclassifier.models;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.streamclassifier.udf.ModelDirectory;
import dev.streamclassifier.udf.ModelManifest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Builds the full ONNX classifier (encoder + pooling + head + softmax) of every trained head under {@code --heads},
 * writing {@code OUT/NAME/model.onnx}, {@code tokenizer.json} and {@code manifest.json} (with the file's sha256), and
 * {@code OUT/index.txt}. A head with LoRA adapters ({@code train --fine-tune lora}) is assembled on its adapted encoder.
 * Run by Maven at build time, so a fresh clone gets the models without training again.
 */
final class AssembleCommand {
    private AssembleCommand() {}

    static void run(CommandLine line) throws IOException {
        Path heads = Path.of(line.get("heads", DefaultPaths.HEADS));
        Path out = Path.of(line.get("out", DefaultPaths.ASSEMBLED));
        Encoders encoders = new Encoders(Path.of(line.get("encoders", DefaultPaths.ENCODERS)));
        line.rejectUnknown();
        List<String> names = assembleAll(heads, encoders, out);
        System.out.println("Assembled " + names.size() + " classifier(s) into " + out + ": " + names);
    }

    static List<String> assembleAll(Path heads, Encoders encoders, Path out) throws IOException {
        List<Path> headDirs;
        try (Stream<Path> children = Files.list(heads)) {
            headDirs = children.filter(dir -> Files.isRegularFile(dir.resolve(Head.FILE_NAME))).sorted().toList();
        }
        if (headDirs.isEmpty()) {
            throw new IOException("No trained heads under " + heads.toAbsolutePath() + " (each needs "
                    + ModelManifest.FILE_NAME + " and " + Head.FILE_NAME + ")");
        }
        List<String> names = new ArrayList<>();
        for (Path headDir : headDirs) {
            names.add(assemble(headDir, encoders, out));
        }
        Files.writeString(out.resolve("index.txt"), String.join("\n", names) + "\n");
        return names;
    }

    /** Assembles one head; skips the work when the output is newer than the head and manifest. */
    static String assemble(Path headDir, Encoders encoders, Path out) throws IOException {
        ModelManifest manifest = ModelManifest.read(headDir.resolve(ModelManifest.FILE_NAME));
        Path target = out.resolve(manifest.name);
        Path modelFile = target.resolve(ModelDirectory.MODEL_FILE);
        Path manifestFile = target.resolve(ModelManifest.FILE_NAME);
        Path adaptersFile = headDir.resolve(LoraAdapters.FILE_NAME);
        boolean adapted = Files.isRegularFile(adaptersFile);
        if (Files.isRegularFile(modelFile) && Files.isRegularFile(manifestFile)
                && newer(manifestFile, headDir.resolve(Head.FILE_NAME), headDir.resolve(ModelManifest.FILE_NAME))
                && (!adapted || newer(manifestFile, adaptersFile))) {
            return manifest.name;
        }
        if (manifest.encoder.contains("+")) {
            throw new IOException(headDir + ": encoder " + manifest.encoder + " is a concatenation, which train can "
                    + "measure but assemble does not build (see models/README.md, 'Encoders'); retrain on one encoder");
        }
        // A fine-tuned head comes with LoRA adapters: merged into the base weights and re-quantized here, so git holds
        // a megabyte or two per model instead of the encoder.
        ModelProto encoder = adapted ? LoraAdapters.read(adaptersFile).encoderFor(encoders, manifest.encoder)
                : OnnxComposer.parse(Files.readAllBytes(encoders.model(manifest.encoder)));
        assembleOn(headDir, manifest, encoder, encoders.tokenizer(manifest.encoder), target);
        return manifest.name;
    }

    /**
     * Writes the classifier of the head in {@code headDir} (described by {@code manifest}) on {@code encoder} into
     * {@code target}: {@code model.onnx}, {@code tokenizer} copied, and the manifest with the file's sha256.
     *
     * @return the manifest written
     */
    static ModelManifest assembleOn(Path headDir, ModelManifest manifest, ModelProto encoder, Path tokenizer,
            Path target) throws IOException {
        Head head = Head.read(headDir.resolve(Head.FILE_NAME));
        if (head.classes() != manifest.labels.size()) {
            throw new IOException(headDir + ": head has " + head.classes() + " classes, manifest lists "
                    + manifest.labels.size() + " labels");
        }
        ModelProto classifier = OnnxComposer.classifier(encoder, head, manifest.labels,
                Map.of("name", manifest.name, "version", manifest.version, "encoder", manifest.encoder));
        ModelManifest assembled = manifest.copy();
        assembled.outputName = OnnxComposer.PROBABILITIES;
        write(classifier, tokenizer, assembled, target);
        return assembled;
    }

    /** Writes a classifier directory: the ONNX file, the tokenizer and the manifest with the file's sha256. */
    static void write(ModelProto model, Path tokenizer, ModelManifest manifest, Path target) throws IOException {
        byte[] bytes = model.toByteArray();
        Files.createDirectories(target);
        Files.write(target.resolve(ModelDirectory.MODEL_FILE), bytes);
        Files.copy(tokenizer, target.resolve(ModelDirectory.TOKENIZER_FILE), StandardCopyOption.REPLACE_EXISTING);
        manifest.sha256 = ModelDirectory.sha256(bytes);
        manifest.write(target.resolve(ModelManifest.FILE_NAME));
    }

    private static boolean newer(Path output, Path... inputs) throws IOException {
        for (Path input : inputs) {
            if (Files.getLastModifiedTime(input).compareTo(Files.getLastModifiedTime(output)) > 0) {
                return false;
            }
        }
        return true;
    }
}
