package dev.streamclassifier.job.config;

import dev.streamclassifier.job.classify.BatchSettings;
import dev.streamclassifier.job.classify.ClassifySettings;
import dev.streamclassifier.job.classify.ModelSettings;
import dev.streamclassifier.job.classify.OutputSettings;
import dev.streamclassifier.job.classify.TaskPlan;
import dev.streamclassifier.job.classify.TaskSpec;
import dev.streamclassifier.job.decode.InputFormat;
import dev.streamclassifier.job.event.EventKind;
import dev.streamclassifier.job.kafka.KafkaClientSettings;
import dev.streamclassifier.job.kafka.KafkaRequirements;
import dev.streamclassifier.job.kafka.SourceSettings;
import dev.streamclassifier.job.sink.SinkSettings;
import dev.streamclassifier.udf.BatchShape;
import dev.streamclassifier.udf.ExecutionDevice;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.base.DeliveryGuarantee;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;

/**
 * The job's options as typed settings, one record per step of the pipeline. Built from a configuration that
 * {@link OptionsValidator} has accepted; {@link #from} validates it first.
 *
 * @param parallelism of the decode, classify and write operators; empty: the Flink environment's
 */
public record JobConfig(SourceSettings sources, Map<EventKind, InputFormat> formats, ClassifySettings classify,
        SinkSettings sink, CheckpointSettings checkpoints, OptionalInt parallelism) {

    /**
     * Validates {@code configuration} and builds the settings from it.
     *
     * @throws IllegalArgumentException listing every problem, each with what to fix
     */
    public static JobConfig from(Configuration configuration) {
        OptionsValidator.validate(configuration);
        KafkaClientSettings client = new KafkaClientSettings(configuration.get(JobOptions.BOOTSTRAP_SERVERS),
                kafkaProperties(configuration));
        return new JobConfig(
                new SourceSettings(client, configuration.get(JobOptions.GROUP_ID), inputTopics(configuration)),
                inputFormats(configuration),
                new ClassifySettings(
                        taskPlan(configuration),
                        new BatchSettings(configuration.get(JobOptions.MAX_BATCH_SIZE),
                                configuration.get(JobOptions.MAX_BATCH_DELAY),
                                new BatchShape(configuration.get(JobOptions.SORT_BY_LENGTH),
                                        configuration.get(JobOptions.MICRO_BATCH_SIZE))),
                        new ModelSettings(configuration.get(JobOptions.MODELS_DIR),
                                ExecutionDevice.parse(configuration.get(JobOptions.DEVICE)),
                                configuration.get(JobOptions.INTRA_OP_THREADS),
                                configuration.get(JobOptions.SHARE_SESSION)),
                        new OutputSettings(configuration.get(JobOptions.INCLUDE_TEXT),
                                configuration.get(JobOptions.MAX_OUTPUT_TEXT_CHARS),
                                configuration.get(JobOptions.TOP_SCORES),
                                configuration.get(JobOptions.REVIEW_TOPIC),
                                configuration.get(JobOptions.DEAD_LETTER_TOPIC),
                                configuration.get(JobOptions.MAX_RECORD_BYTES))),
                new SinkSettings(client, deliveryGuarantee(configuration),
                        configuration.get(JobOptions.TRANSACTIONAL_ID_PREFIX),
                        configuration.get(JobOptions.TRANSACTION_TIMEOUT),
                        configuration.get(JobOptions.MAX_RECORD_BYTES)),
                new CheckpointSettings(configuration.get(JobOptions.CHECKPOINT_INTERVAL),
                        configuration.get(JobOptions.UNALIGNED_CHECKPOINTS),
                        configuration.get(JobOptions.BUFFER_TIMEOUT)),
                configuration.getOptional(JobOptions.PARALLELISM).map(OptionalInt::of).orElse(OptionalInt.empty()));
    }

    /** Every output topic the job writes, in a stable order: task topics, review, dead letters. */
    public Set<String> outputTopics() {
        Set<String> topics = new LinkedHashSet<>();
        classify.tasks().tasks().forEach(task -> topics.add(task.outputTopic()));
        topics.add(classify.output().reviewTopic());
        topics.add(classify.output().deadLetterTopic());
        return topics;
    }

    /** The input topics of the kinds that have tasks: the only ones the job reads. */
    public Set<String> inputTopics() {
        Set<String> topics = new LinkedHashSet<>();
        classify.tasks().byKind().forEach((kind, tasks) -> {
            if (!tasks.isEmpty()) {
                topics.add(sources.topics().get(kind));
            }
        });
        return topics;
    }

    /** What the job needs of the Kafka cluster: its topics, its transaction timeout and its largest record. */
    public KafkaRequirements kafkaRequirements() {
        return new KafkaRequirements(inputTopics(), outputTopics(),
                sink.guarantee() == DeliveryGuarantee.EXACTLY_ONCE ? sink.transactionTimeout() : null,
                sink.maxRecordBytes());
    }

    /** The Kafka client properties given under {@value JobOptions#KAFKA_PROPERTIES_PREFIX}, prefix removed. */
    static Map<String, String> kafkaProperties(Configuration configuration) {
        Map<String, String> properties = new LinkedHashMap<>();
        configuration.toMap().forEach((key, value) -> {
            if (key.startsWith(JobOptions.KAFKA_PROPERTIES_PREFIX)) {
                properties.put(key.substring(JobOptions.KAFKA_PROPERTIES_PREFIX.length()), value);
            }
        });
        return properties;
    }

    static Map<EventKind, String> inputTopics(Configuration configuration) {
        Map<EventKind, String> topics = new EnumMap<>(EventKind.class);
        topics.put(EventKind.EMAIL, configuration.get(JobOptions.EMAILS_TOPIC));
        topics.put(EventKind.TICKET, configuration.get(JobOptions.TICKETS_TOPIC));
        topics.put(EventKind.CHAT, configuration.get(JobOptions.CHATS_TOPIC));
        return topics;
    }

    static Map<EventKind, InputFormat> inputFormats(Configuration configuration) {
        Map<EventKind, InputFormat> formats = new EnumMap<>(EventKind.class);
        formats.put(EventKind.EMAIL, InputFormat.parse(configuration.get(JobOptions.EMAILS_FORMAT)));
        formats.put(EventKind.TICKET, InputFormat.parse(configuration.get(JobOptions.TICKETS_FORMAT)));
        formats.put(EventKind.CHAT, InputFormat.parse(configuration.get(JobOptions.CHATS_FORMAT)));
        return formats;
    }

    static Map<EventKind, List<String>> tasksByKind(Configuration configuration) {
        Map<EventKind, List<String>> tasks = new EnumMap<>(EventKind.class);
        tasks.put(EventKind.EMAIL, clean(configuration.get(JobOptions.EMAIL_TASKS)));
        tasks.put(EventKind.TICKET, clean(configuration.get(JobOptions.TICKET_TASKS)));
        tasks.put(EventKind.CHAT, clean(configuration.get(JobOptions.CHAT_TASKS)));
        return tasks;
    }

    private static List<String> clean(List<String> names) {
        return names.stream().map(String::trim).filter(name -> !name.isEmpty()).distinct().toList();
    }

    /**
     * The tasks some kind of event runs, with their model, topic, threshold and review label. Moderation writes to
     * the moderation topic and every other task to the routing topic, unless {@code task.topics} names one.
     */
    static TaskPlan taskPlan(Configuration configuration) {
        Map<EventKind, List<String>> byKind = tasksByKind(configuration);
        Set<String> used = new LinkedHashSet<>();
        byKind.values().forEach(used::addAll);
        Map<String, String> models = configuration.get(JobOptions.TASK_MODELS);
        Map<String, String> topics = new LinkedHashMap<>();
        topics.put("moderation", configuration.get(JobOptions.MODERATION_TOPIC));
        topics.putAll(configuration.get(JobOptions.TASK_TOPICS));
        Map<String, String> thresholds = configuration.get(JobOptions.TASK_THRESHOLDS);
        Map<String, String> reviewLabels = configuration.get(JobOptions.TASK_REVIEW_LABELS);
        List<TaskSpec> tasks = new ArrayList<>();
        for (String name : used) {
            String threshold = thresholds.get(name);
            tasks.add(new TaskSpec(name, models.get(name),
                    topics.getOrDefault(name, configuration.get(JobOptions.ROUTING_TOPIC)),
                    threshold == null ? null : Float.parseFloat(threshold), reviewLabels.get(name)));
        }
        return new TaskPlan(tasks, byKind);
    }

    static DeliveryGuarantee deliveryGuarantee(Configuration configuration) {
        String value = configuration.get(JobOptions.DELIVERY_GUARANTEE);
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "exactly-once", "exactly_once" -> DeliveryGuarantee.EXACTLY_ONCE;
            case "at-least-once", "at_least_once" -> DeliveryGuarantee.AT_LEAST_ONCE;
            default -> throw new IllegalArgumentException(JobOptions.DELIVERY_GUARANTEE.key()
                    + " must be exactly-once or at-least-once, was '" + value + "'");
        };
    }
}
