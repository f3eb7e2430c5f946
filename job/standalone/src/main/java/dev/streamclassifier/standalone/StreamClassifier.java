package dev.streamclassifier.standalone;

import dev.streamclassifier.job.ClassifierJob;
import dev.streamclassifier.job.config.OptionsHelp;
import dev.streamclassifier.standalone.bench.BenchCommand;
import dev.streamclassifier.standalone.bench.SoakCommand;

import java.util.Arrays;

/**
 * Entry point of the standalone jar: {@code java -jar stream-classifier.jar demo|run|bench|soak|models|options}. The cluster jar's
 * entry point is {@link ClassifierJob}.
 */
public final class StreamClassifier {
    private static final String USAGE = """
            usage: java -jar job/standalone/target/stream-classifier.jar COMMAND
              demo [options]   in-process Kafka + Flink mini-cluster, sample events, live output
                               (demo --help lists its options)
              run --kafka.bootstrap-servers HOST:PORT [--option value ...]
                               run the job against your Kafka on a local mini-cluster
              bench [options]  raw ONNX Runtime vs. the whole pipeline on the same texts (bench --help)
              soak [options]   the job for N minutes with failures injected, memory sampled, and an
                               exactly-once count at the end (soak --help)
              models check|publish|list
                               check a model version, publish it to a running job, list what serves
                               (models --help)
              options          list every job option with its description and default""";

    private StreamClassifier() {}

    public static void main(String[] args) throws Exception {
        String command = args.length == 0 ? "help" : args[0];
        String[] rest = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
        switch (command) {
            case "demo" -> Demo.main(rest);
            case "bench" -> BenchCommand.main(rest);
            case "soak" -> SoakCommand.main(rest);
            case "models" -> ModelsCommand.main(rest);
            case "run" -> runJob(rest);
            case "options" -> System.out.print(OptionsHelp.listing());
            default -> {
                System.out.println(USAGE);
                if (!command.equals("help") && !command.equals("--help")) {
                    System.exit(2);
                }
            }
        }
    }

    private static void runJob(String[] args) throws Exception {
        try {
            ClassifierJob.main(args);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(2);
        }
    }
}
