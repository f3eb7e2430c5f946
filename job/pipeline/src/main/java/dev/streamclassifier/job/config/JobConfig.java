package dev.streamclassifier.job.config;

import dev.streamclassifier.job.classify.BatchSettings;
import dev.streamclassifier.job.classify.ClassifySettings;
import dev.streamclassifier.job.classify.ModelSettings;
import dev.streamclassifier.job.classify.OutputKey;
import dev.streamclassifier.job.classify.OutputSettings;
import dev.streamclassifier.job.classify.TaskPlan;
import dev.streamclassifier.job.classify.TaskSpec;
import dev.streamclassifier.job.decode.DecodeSettings;
import dev.streamclassifier.job.decode.InputFormat;
import dev.streamclassifier.job.decode.JsonMapping;
import dev.streamclassifier.job.event.EventKind;
import dev.streamclassifier.job.kafka.KafkaClientSettings;
import dev.streamclassifier.job.kafka.KafkaRequirements;
import dev.streamclassifier.job.kafka.SourceSettings;
import dev.streamclassifier.job.lifecycle.ModelStore;
import dev.streamclassifier.job.lifecycle.ModelUpdateSettings;
import dev.streamclassifier.job.registry.RegistrySettings;
import dev.streamclassifier.job.registry.SubjectStrategy;
import dev.streamclassifier.job.sink.Encoding;
import dev.streamclassifier.job.sink.OutputFormat;
import dev.streamclassifier.job.sink.SinkSettings;
import dev.streamclassifier.udf.BatchShape;
import dev.streamclassifier.udf.ExecutionDevice;
import dev.streamclassifier.udf.WindowPolicy;
import org.apache.flink.configuration.ConfigOption;
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
public record JobConfig(SourceSettings sources, DecodeSettings decode, ClassifySettings classify,
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
                new SourceSettings(client, configuration.get(JobOptions.GROUP_ID), inputTopics(configuration),
                        configuration.get(JobOptions.OUTPUT_HEADERS)),
                new DecodeSettings(inputFormats(configuration), jsonMappings(configuration),
                        configuration.get(JobOptions.STRIP_QUOTED_REPLIES), registry(configuration)),
                new ClassifySettings(
                        taskPlan(configuration),
                        new BatchSettings(configuration.get(JobOptions.MAX_BATCH_SIZE),
                                configuration.get(JobOptions.MAX_BATCH_DELAY),
                                new BatchShape(configuration.get(JobOptions.SORT_BY_LENGTH),
                                        configuration.get(JobOptions.MICRO_BATCH_SIZE))),
                        new ModelSettings(configuration.get(JobOptions.MODELS_DIR),
                                ExecutionDevice.parse(configuration.get(JobOptions.DEVICE)),
                                configuration.get(JobOptions.INTRA_OP_THREADS),
                                configuration.get(JobOptions.SHARE_SESSION), modelUpdates(configuration),
                                configuration.get(JobOptions.CACHE_ENTRIES)),
                        new OutputSettings(configuration.get(JobOptions.INCLUDE_TEXT),
                                configuration.get(JobOptions.MAX_OUTPUT_TEXT_CHARS),
                                configuration.get(JobOptions.TOP_SCORES),
                                configuration.get(JobOptions.REVIEW_TOPIC),
                                configuration.get(JobOptions.DEAD_LETTER_TOPIC),
                                configuration.get(JobOptions.MAX_RECORD_BYTES),
                                configuration.get(JobOptions.MASK_PII),
                                OutputKey.parse(configuration.get(JobOptions.OUTPUT_KEY)),
                                encoding(configuration))),
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
        if (modelUpdates() != null) {
            topics.add(modelUpdates().eventsTopic());
        }
        return topics;
    }

    /** Where model updates come from and go, or null when model-store.uri is not set. */
    public ModelUpdateSettings modelUpdates() {
        return classify.models().updates();
    }

    static ModelUpdateSettings modelUpdates(Configuration configuration) {
        String store = configuration.get(JobOptions.MODEL_STORE);
        return store == null || store.isBlank() ? null : new ModelUpdateSettings(new ModelStore(store),
                configuration.get(JobOptions.MODEL_UPDATES_TOPIC), configuration.get(JobOptions.MODEL_EVENTS_TOPIC),
                configuration.get(JobOptions.MAX_LATENCY_RATIO));
    }

    /** The input topics of the kinds that have tasks: the only ones the job reads. */
    public Set<String> inputTopics() {
        Set<String> topics = new LinkedHashSet<>();
        classify.tasks().byKind().forEach((kind, tasks) -> {
            if (!tasks.isEmpty()) {
                topics.add(sources.topics().get(kind));
            }
        });
        if (modelUpdates() != null) {
            topics.add(modelUpdates().updatesTopic());
        }
        return topics;
    }

    /** What the job needs of the Kafka cluster: its topics, its transaction timeout and its largest record. */
    public KafkaRequirements kafkaRequirements() {
        return new KafkaRequirements(inputTopics(), outputTopics(),
                sink.guarantee() == DeliveryGuarantee.EXACTLY_ONCE ? sink.transactionTimeout() : null,
                sink.maxRecordBytes(),
                modelUpdates() == null ? Set.of() : Set.of(modelUpdates().updatesTopic()));
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

    /** How JSON of each kind is read: the job's own field names unless json.KIND.* say otherwise. */
    static Map<EventKind, JsonMapping> jsonMappings(Configuration configuration) {
        String separator = configuration.get(JobOptions.JSON_TEXT_SEPARATOR);
        Map<EventKind, JsonMapping> mappings = new EnumMap<>(EventKind.class);
        mappings.put(EventKind.EMAIL, new JsonMapping(configuration.get(JobOptions.EMAIL_JSON_ID),
                configuration.get(JobOptions.EMAIL_JSON_TEXT), separator, configuration.get(JobOptions.EMAIL_JSON_TIME),
                configuration.get(JobOptions.EMAIL_JSON_ATTRIBUTES)));
        mappings.put(EventKind.TICKET, new JsonMapping(configuration.get(JobOptions.TICKET_JSON_ID),
                configuration.get(JobOptions.TICKET_JSON_TEXT), separator,
                configuration.get(JobOptions.TICKET_JSON_TIME), configuration.get(JobOptions.TICKET_JSON_ATTRIBUTES)));
        mappings.put(EventKind.CHAT, new JsonMapping(configuration.get(JobOptions.CHAT_JSON_ID),
                configuration.get(JobOptions.CHAT_JSON_TEXT), separator, configuration.get(JobOptions.CHAT_JSON_TIME),
                configuration.get(JobOptions.CHAT_JSON_ATTRIBUTES)));
        return mappings;
    }

    static Encoding encoding(Configuration configuration) {
        return new Encoding(OutputFormat.parse(configuration.get(JobOptions.OUTPUT_FORMAT)), registry(configuration));
    }

    static RegistrySettings registry(Configuration configuration) {
        return new RegistrySettings(configuration.get(JobOptions.REGISTRY_URL),
                configuration.get(JobOptions.REGISTRY_USER_INFO),
                SubjectStrategy.parse(configuration.get(JobOptions.REGISTRY_SUBJECT_STRATEGY)),
                configuration.get(JobOptions.REGISTRY_MAX_BACKOFF), RegistrySettings.NONE.requestTimeout());
    }

    /** Whether any input topic or the output is registry-framed: then the registry must answer at start-up. */
    public boolean usesRegistry() {
        return decode.formats().containsValue(InputFormat.REGISTRY_AVRO)
                || classify.output().encoding().format() == OutputFormat.REGISTRY_AVRO;
    }

    /** How a task reads a long text: its window size, window cap and aggregation, and the job's overlap. */
    static WindowPolicy windows(Configuration configuration, String task) {
        WindowPolicy.Aggregation aggregation = WindowPolicy.Aggregation.parse(
                configuration.get(JobOptions.TASK_WINDOW_AGGREGATION).getOrDefault(task, "mean"));
        return new WindowPolicy(count(configuration, JobOptions.TASK_MAX_WINDOWS, task, 1),
                count(configuration, JobOptions.TASK_WINDOW_TOKENS, task, 0),
                configuration.get(JobOptions.WINDOW_OVERLAP), aggregation,
                configuration.get(JobOptions.TASK_BENIGN_LABELS).get(task));
    }

    private static int count(Configuration configuration, ConfigOption<Map<String, String>> option, String task,
            int fallback) {
        String value = configuration.get(option).get(task);
        try {
            return value == null ? fallback : Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option.key() + " must map tasks to whole numbers, e.g. moderation:16, "
                    + "not " + task + ":" + value, e);
        }
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
                    threshold == null ? null : Float.parseFloat(threshold), reviewLabels.get(name),
                    windows(configuration, name)));
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
