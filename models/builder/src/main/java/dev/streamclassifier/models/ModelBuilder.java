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
                case "long-eval" -> LongTextEvalCommand.run(CommandLine.parse(rest));
                case "inspect" -> InspectCommand.run(CommandLine.parse(rest));
                case "compare" -> CompareCommand.run(CommandLine.parse(rest));
                case "create" -> CreateCommand.run(CommandLine.parse(rest));
                case "import" -> ImportCommand.run(CommandLine.parse(rest));
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
                usage: java -jar models/builder/target/model-builder.jar COMMAND [options]
                  train    --name NAME --data FILE [--data FILE...] [--validation FILE] [--map from=to,...]
                           [--labels a,b,...] [--encoder ID] [--head linear|mlp] [--lexical N]
                           [--fallback LABEL] [--examples TASK.yaml] [--out models/heads]
                                                                     train a head (and the baseline) on text,label data
                  create   --spec TASK.yaml [--out models/heads]     a classifier from one sentence (+ examples) per class
                  create   --benchmark --data FILE [--shots 0,8]     zero/k-shot prototypes on train's validation split
                  eval     --model NAME --data FILE [--json]         figures, report.md and PNG plots
                  long-eval --model NAME --data FILE --filler FILE [--policies 1x0,6x32] [--aggregation max]
                                                             long texts: windows against truncation, accuracy and cost
                  import   --from DIR [--name NAME] [--version V] [--max-tokens 128] [--out DIR]
                                                             a Hugging Face classification export (logits, config.json)
                  import   --from DIR --head models/heads/NAME   a sentence-encoder export with a head train wrote
                  inspect  --model NAME                              manifest, labels, inputs, size, checksum
                  compare  --name TASK --data FILE [--candidates a,b] encoders side by side: accuracy and texts/s
                  assemble [--heads models/heads] [--out DIR]        build model.onnx for every head (mvn does this)
                See models/README.md for every option.
                """;
    }
}
