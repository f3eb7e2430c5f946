package dev.streamclassifier.job;

import java.util.Arrays;
import java.util.Map;

/**
 * Entry point of the standalone jar: {@code java -jar stream-classifier.jar demo|run|options}. The cluster jar's entry
 * point is {@link ClassifierJob}.
 */
public final class StreamClassifier {
    private StreamClassifier() {}

    public static void main(String[] args) throws Exception {
        String command = args.length == 0 ? "help" : args[0];
        String[] rest = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
        switch (command) {
            case "demo" -> Demo.main(rest);
            case "bench" -> dev.streamclassifier.job.bench.BenchCommand.main(rest);
            case "run" -> runJob(rest);
            case "options" -> printOptions();
            default -> {
                System.out.println("""
                        usage: java -jar job/target/stream-classifier.jar COMMAND
                          demo [options]   in-process Kafka + Flink mini-cluster, sample events, live output
                                           (demo --help lists its options)
                          run --kafka.bootstrap-servers HOST:PORT [--option value ...]
                                           run the job against your Kafka on a local mini-cluster
                          bench [options]  raw ONNX Runtime vs. the whole pipeline on the same texts (bench --help)
                          options          list every job option with its default""");
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
            System.err.println(e.getMessage());
            System.exit(2);
        }
    }

    private static void printOptions() {
        for (Map.Entry<String, String> option : ClassifierOptions.describeAll().entrySet()) {
            System.out.printf("--%s%n    %s%n", option.getKey(), option.getValue());
        }
    }
}
