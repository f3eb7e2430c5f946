package dev.streamclassifier.models;

import java.util.Arrays;
import java.util.Locale;

/**
 * Command-line entry point of the model builder: {@code java -jar model-builder.jar COMMAND [options]}. See
 * {@code models/README.md}.
 */
public final class ModelBuilder {
    private ModelBuilder() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("help")) {
            System.out.println(usage());
            return;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        try {
            switch (args[0].toLowerCase(Locale.ROOT)) {
                case "assemble" -> AssembleCommand.run(CommandLine.parse(rest));
                case "train" -> TrainCommand.run(CommandLine.parse(rest));
                case "eval" -> EvalCommand.run(CommandLine.parse(rest));
                case "inspect" -> InspectCommand.run(CommandLine.parse(rest));
                default -> {
                    System.err.println("Unknown command '" + args[0] + "'.\n" + usage());
                    System.exit(2);
                }
            }
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(2);
        }
    }

    static String usage() {
        return """
                usage: java -jar models/target/model-builder.jar COMMAND [options]
                  train    --name NAME --data FILE [--data FILE...] [--map from=to,...] [--labels a,b,...]
                           [--encoder ID] [--out models/heads]     train a head on text,label data
                  assemble [--heads models/heads] [--out DIR]        build model.onnx for every head (mvn does this)
                  eval     --model NAME --data FILE [--json]         accuracy, macro-F1, per-class figures
                  inspect  --model NAME                              manifest, labels, inputs, size, checksum
                """;
    }
}
