package dev.streamclassifier.job.config;

import com.fasterxml.jackson.core.JsonPointer;
import dev.streamclassifier.job.classify.OutputKey;
import dev.streamclassifier.job.classify.TaskSpec;
import dev.streamclassifier.job.decode.InputFormat;
import dev.streamclassifier.job.event.EventKind;
import dev.streamclassifier.job.kafka.KafkaRequirements;
import dev.streamclassifier.job.registry.SubjectStrategy;
import dev.streamclassifier.job.sink.OutputFormat;
import dev.streamclassifier.udf.ExecutionDevice;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.base.DeliveryGuarantee;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.apache.flink.util.TimeUtils.formatWithHighestUnit;

/**
 * Checks every option before the job is built and reports all problems at once, each with what to fix, so that a bad
 * configuration fails at submission, not on the first record. Models and Kafka are checked separately, by opening
 * them.
 */
public final class OptionsValidator {
    /** Kafka producers' default {@code max.request.size}. */
    static final long DEFAULT_MAX_REQUEST_SIZE = 1_048_576;
    /** Room for a dead letter's own fields and a useful part of the raw record. */
    private static final int MIN_RECORD_BYTES = 16 * 1024;

    private OptionsValidator() {}

    /** @throws IllegalArgumentException listing every problem */
    public static void validate(Configuration configuration) {
        List<String> problems = new ArrayList<>();
        Set<String> known = new HashSet<>();
        JobOptions.all().forEach(option -> known.add(option.key()));
        for (String key : configuration.keySet()) {
            if (!known.contains(key) && !key.startsWith(JobOptions.KAFKA_PROPERTIES_PREFIX)) {
                problems.add("unknown option '" + key + "' (known: " + new TreeSet<>(known)
                        + ", and kafka.properties.* for Kafka client settings)");
            }
        }
        for (ConfigOption<?> option : JobOptions.all()) {
            try {
                configuration.getOptional(option);
            } catch (IllegalArgumentException e) {
                problems.add(option.key() + ": cannot read '" + configuration.toMap().get(option.key()) + "' ("
                        + e.getMessage() + "); the default is " + OptionsHelp.defaultValue(option));
            }
        }
        if (problems.isEmpty()) {
            checkValues(configuration, problems);
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("Invalid configuration:\n  - " + String.join("\n  - ", problems));
        }
    }

    private static void checkValues(Configuration configuration, List<String> problems) {
        String bootstrap = configuration.get(JobOptions.BOOTSTRAP_SERVERS);
        if (bootstrap == null || bootstrap.isBlank()) {
            problems.add("kafka.bootstrap-servers is required, e.g. --kafka.bootstrap-servers localhost:9092");
        }
        check(problems, () -> JobConfig.inputFormats(configuration));
        check(problems, () -> JobConfig.encoding(configuration));
        check(problems, () -> OutputKey.parse(configuration.get(JobOptions.OUTPUT_KEY)));
        checkRegistry(configuration, problems);
        checkJsonPointers(configuration, problems);
        atLeast(configuration, JobOptions.WINDOW_OVERLAP, 0, problems);
        check(problems, () -> ExecutionDevice.parse(configuration.get(JobOptions.DEVICE)));
        atLeast(configuration, JobOptions.MAX_BATCH_SIZE, 1, problems);
        if (configuration.get(JobOptions.MAX_BATCH_SIZE) > 4096) {
            problems.add("classifier.batch.max-size must be at most 4096");
        }
        if (configuration.get(JobOptions.MAX_BATCH_DELAY).isNegative()) {
            problems.add("classifier.batch.max-delay must be 0 (a batch starts as soon as the slot's inference thread "
                    + "is free) or more, e.g. 20 ms");
        }
        atLeast(configuration, JobOptions.MICRO_BATCH_SIZE, 0, problems);
        atLeast(configuration, JobOptions.MAX_OUTPUT_TEXT_CHARS, 1, problems);
        atLeast(configuration, JobOptions.INTRA_OP_THREADS, 1, problems);
        atLeast(configuration, JobOptions.TOP_SCORES, 0, problems);
        atLeast(configuration, JobOptions.MAX_RECORD_BYTES, MIN_RECORD_BYTES, problems);
        String requestSize = JobConfig.kafkaProperties(configuration).get("max.request.size");
        try {
            long producerMax = requestSize == null ? DEFAULT_MAX_REQUEST_SIZE : Long.parseLong(requestSize.trim());
            int maxRecord = configuration.get(JobOptions.MAX_RECORD_BYTES);
            if (maxRecord + KafkaRequirements.RECORD_OVERHEAD_BYTES > producerMax) {
                problems.add("sink.max-record-bytes (" + maxRecord + ") plus Kafka's framing ("
                        + KafkaRequirements.RECORD_OVERHEAD_BYTES + ") exceeds the producer's max.request.size ("
                        + producerMax + "): lower it to " + (producerMax - KafkaRequirements.RECORD_OVERHEAD_BYTES)
                        + ", or raise kafka.properties.max.request.size (and the topics' max.message.bytes)");
            }
        } catch (NumberFormatException e) {
            problems.add("kafka.properties.max.request.size must be a number of bytes, was '" + requestSize + "'");
        }
        if (configuration.getOptional(JobOptions.PARALLELISM).orElse(1) < 1) {
            problems.add("parallelism must be at least 1");
        }
        checkTasks(configuration, problems);
        checkSink(configuration, problems);
    }

    private static void checkRegistry(Configuration configuration, List<String> problems) {
        List<String> framed = new ArrayList<>();
        try {
            JobConfig.inputFormats(configuration).forEach((kind, format) -> {
                if (format == InputFormat.REGISTRY_AVRO) {
                    framed.add("format." + kind.name().toLowerCase(Locale.ROOT) + "s");
                }
            });
            if (OutputFormat.parse(configuration.get(JobOptions.OUTPUT_FORMAT)) == OutputFormat.REGISTRY_AVRO) {
                framed.add("format.output");
            }
        } catch (IllegalArgumentException e) {
            return; // reported by the format checks
        }
        String url = configuration.get(JobOptions.REGISTRY_URL);
        if (!framed.isEmpty() && (url == null || url.isBlank())) {
            problems.add(String.join(", ", framed) + " = registry-avro needs registry.url, the registry's REST "
                    + "root, e.g. http://registry:8081 or, for Apicurio, http://registry:8080/apis/ccompat/v7");
        }
        check(problems, () -> SubjectStrategy.parse(configuration.get(JobOptions.REGISTRY_SUBJECT_STRATEGY)));
        Duration backoff = configuration.get(JobOptions.REGISTRY_MAX_BACKOFF);
        if (backoff.isNegative() || backoff.isZero()) {
            problems.add("registry.max-backoff must be positive, e.g. 30 s");
        }
    }

    private static void checkTasks(Configuration configuration, List<String> problems) {
        Map<EventKind, List<String>> byKind = JobConfig.tasksByKind(configuration);
        if (byKind.values().stream().allMatch(List::isEmpty)) {
            problems.add("no tasks configured: set tasks.email, tasks.ticket or tasks.chat");
            return;
        }
        List<TaskSpec> tasks;
        try {
            tasks = JobConfig.taskPlan(configuration).tasks();
        } catch (NumberFormatException e) {
            problems.add("task.thresholds must map tasks to numbers between 0 and 1, e.g. routing:0.4 (" + e.getMessage()
                    + ")");
            return;
        } catch (IllegalArgumentException e) {
            problems.add("long texts: " + e.getMessage() + " (task.max-windows, task.window-tokens, "
                    + "task.window-aggregation with task.benign-labels, classifier.long-text.overlap-tokens)");
            return;
        }
        Set<String> inputs = new HashSet<>(JobConfig.inputTopics(configuration).values());
        Set<String> outputs = new HashSet<>(List.of(configuration.get(JobOptions.REVIEW_TOPIC),
                configuration.get(JobOptions.DEAD_LETTER_TOPIC)));
        for (TaskSpec task : tasks) {
            if (task.modelName() == null || task.modelName().isBlank()) {
                problems.add("task '" + task.name() + "' has no model: add " + task.name() + ":MODEL to task.models");
            }
            if (task.outputTopic() == null || task.outputTopic().isBlank()) {
                problems.add("task '" + task.name() + "' has no output topic: add " + task.name()
                        + ":TOPIC to task.topics");
            }
            if (task.threshold() != null && (task.threshold() < 0 || task.threshold() > 1)) {
                problems.add("threshold of task '" + task.name() + "' must be between 0 and 1");
            }
            outputs.add(task.outputTopic());
        }
        for (String topic : outputs) {
            if (inputs.contains(topic)) {
                problems.add("topic '" + topic + "' is both an input and an output: the job would read its own output");
            }
        }
    }

    private static void checkSink(Configuration configuration, List<String> problems) {
        DeliveryGuarantee guarantee;
        try {
            guarantee = JobConfig.deliveryGuarantee(configuration);
        } catch (IllegalArgumentException e) {
            problems.add(e.getMessage());
            return;
        }
        if (guarantee != DeliveryGuarantee.EXACTLY_ONCE) {
            return;
        }
        String prefix = configuration.get(JobOptions.TRANSACTIONAL_ID_PREFIX);
        if (prefix == null || prefix.isBlank()) {
            problems.add("sink.transactional-id-prefix is required for exactly-once: set a stable name unique to this "
                    + "job, e.g. stream-classifier-prod");
        }
        Duration interval = configuration.get(JobOptions.CHECKPOINT_INTERVAL);
        if (interval.isZero() || interval.isNegative()) {
            problems.add("checkpoint.interval must be positive for exactly-once: output is committed at checkpoints");
        }
        Duration timeout = configuration.get(JobOptions.TRANSACTION_TIMEOUT);
        Duration brokerMax = configuration.get(JobOptions.BROKER_MAX_TRANSACTION_TIMEOUT);
        if (timeout.compareTo(brokerMax) > 0) {
            problems.add("sink.transaction-timeout (" + formatWithHighestUnit(timeout) + ") exceeds the brokers' "
                    + "transaction.max.timeout.ms (" + formatWithHighestUnit(brokerMax) + "): lower it, or raise the "
                    + "broker setting and kafka.broker.transaction-max-timeout");
        }
        if (timeout.compareTo(interval.multipliedBy(3)) < 0) {
            problems.add("sink.transaction-timeout (" + formatWithHighestUnit(timeout) + ") must be well above "
                    + "checkpoint.interval (" + formatWithHighestUnit(interval) + ") plus restart time, or "
                    + "transactions expire before they commit");
        }
    }

    /** Every JSON mapping's pointers must be JSON pointers: {@code /field/nested}, or empty for the whole value. */
    private static void checkJsonPointers(Configuration configuration, List<String> problems) {
        JobConfig.jsonMappings(configuration).forEach((kind, mapping) -> {
            List<String> pointers = new ArrayList<>(mapping.text());
            pointers.add(mapping.id());
            pointers.add(mapping.time());
            pointers.addAll(mapping.attributes().values());
            for (String pointer : pointers) {
                try {
                    JsonPointer.compile(pointer);
                } catch (IllegalArgumentException e) {
                    problems.add("json." + kind.name().toLowerCase(Locale.ROOT) + ".*: '" + pointer + "' is not a "
                            + "JSON pointer (" + e.getMessage() + "): write it as /field or /object/field");
                }
            }
            if (mapping.text().isEmpty()) {
                problems.add("json." + kind.name().toLowerCase(Locale.ROOT) + ".text names no field: give at least "
                        + "one JSON pointer to the text");
            }
        });
    }

    private static void atLeast(Configuration configuration, ConfigOption<Integer> option, int min,
            List<String> problems) {
        if (configuration.get(option) < min) {
            problems.add(option.key() + " must be at least " + min + ", was " + configuration.get(option));
        }
    }

    private static void check(List<String> problems, Runnable check) {
        try {
            check.run();
        } catch (IllegalArgumentException e) {
            problems.add(e.getMessage());
        }
    }
}
