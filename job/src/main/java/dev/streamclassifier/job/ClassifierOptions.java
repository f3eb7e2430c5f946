package dev.streamclassifier.job;

import dev.streamclassifier.udf.BatchShape;
import dev.streamclassifier.udf.ExecutionDevice;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

/**
 * Every option of the job, with defaults, descriptions and validation. Options come as {@code --key value} arguments
 * (or a Flink {@link Configuration}); {@link #validate} checks them all before the job is built and names what to fix.
 * Keys under {@value #KAFKA_PROPERTIES_PREFIX} pass through to every Kafka source and sink (security settings, say).
 */
public final class ClassifierOptions {
    public static final String KAFKA_PROPERTIES_PREFIX = "kafka.properties.";

    public static final ConfigOption<String> BOOTSTRAP_SERVERS = ConfigOptions.key("kafka.bootstrap-servers")
            .stringType().noDefaultValue()
            .withDescription("Kafka bootstrap servers, e.g. localhost:9092. Required.");
    public static final ConfigOption<String> GROUP_ID = ConfigOptions.key("kafka.group-id")
            .stringType().defaultValue("stream-classifier")
            .withDescription("Consumer group of the input sources.");
    public static final ConfigOption<Duration> BROKER_MAX_TRANSACTION_TIMEOUT = ConfigOptions
            .key("kafka.broker.transaction-max-timeout").durationType().defaultValue(Duration.ofMinutes(15))
            .withDescription("The brokers' transaction.max.timeout.ms; the sink's transaction timeout must not exceed it.");

    public static final ConfigOption<String> EMAILS_TOPIC = ConfigOptions.key("topic.emails")
            .stringType().defaultValue("emails").withDescription("Input topic of emails.");
    public static final ConfigOption<String> TICKETS_TOPIC = ConfigOptions.key("topic.tickets")
            .stringType().defaultValue("tickets").withDescription("Input topic of support tickets.");
    public static final ConfigOption<String> CHATS_TOPIC = ConfigOptions.key("topic.chats")
            .stringType().defaultValue("chats").withDescription("Input topic of chat messages.");
    public static final ConfigOption<String> EMAILS_FORMAT = ConfigOptions.key("format.emails")
            .stringType().defaultValue("auto").withDescription("auto, avro (single-object) or json.");
    public static final ConfigOption<String> TICKETS_FORMAT = ConfigOptions.key("format.tickets")
            .stringType().defaultValue("auto").withDescription("auto, avro (single-object) or json.");
    public static final ConfigOption<String> CHATS_FORMAT = ConfigOptions.key("format.chats")
            .stringType().defaultValue("auto").withDescription("auto, avro (single-object) or json.");

    public static final ConfigOption<String> ROUTING_TOPIC = ConfigOptions.key("topic.routing")
            .stringType().defaultValue("routing").withDescription("Output topic of the routing task.");
    public static final ConfigOption<String> MODERATION_TOPIC = ConfigOptions.key("topic.moderation")
            .stringType().defaultValue("moderation").withDescription("Output topic of the moderation task.");
    public static final ConfigOption<String> REVIEW_TOPIC = ConfigOptions.key("topic.review")
            .stringType().defaultValue("review")
            .withDescription("Events with any prediction under its task's threshold go here instead of the task topics.");
    public static final ConfigOption<String> DEAD_LETTER_TOPIC = ConfigOptions.key("topic.dead-letter")
            .stringType().defaultValue("dead-letters")
            .withDescription("Inputs that cannot be decoded or classified, with the reason.");

    public static final ConfigOption<List<String>> EMAIL_TASKS = ConfigOptions.key("tasks.email")
            .stringType().asList().defaultValues("routing", "intent")
            .withDescription("Tasks run on every email: routing (ticket-routing) and intent (email-intent: does it ask "
                    + "for something?).");
    public static final ConfigOption<List<String>> TICKET_TASKS = ConfigOptions.key("tasks.ticket")
            .stringType().asList().defaultValues("routing", "scope")
            .withDescription("Tasks run on every ticket: routing (ticket-routing) and scope (support-intent, whose "
                    + "'oos' sends out-of-scope tickets to review).");
    public static final ConfigOption<List<String>> CHAT_TASKS = ConfigOptions.key("tasks.chat")
            .stringType().asList().defaultValues("moderation").withDescription("Tasks run on every chat message.");
    public static final ConfigOption<Map<String, String>> TASK_MODELS = ConfigOptions.key("task.models")
            .mapType().defaultValue(Map.of("routing", "ticket-routing", "moderation", "chat-moderation",
                    "scope", "support-intent", "intent", "email-intent"))
            .withDescription("Classifier of each task, as task:model pairs, e.g. routing:ticket-routing,moderation:chat-moderation.");
    public static final ConfigOption<Map<String, String>> TASK_TOPICS = ConfigOptions.key("task.topics")
            .mapType().defaultValue(Map.of())
            .withDescription("Output topic of each task as task:topic pairs; moderation defaults to topic.moderation, "
                    + "every other task to topic.routing (scope and intent enrich the routed event).");
    public static final ConfigOption<Map<String, String>> TASK_THRESHOLDS = ConfigOptions.key("task.thresholds")
            .mapType().defaultValue(Map.of("intent", "0.5"))
            .withDescription("Confidence threshold per task as task:value pairs; unlisted tasks use their model "
                    + "manifest's. intent is 0.5 (never review on it alone): email-intent's own 0.90 would send most "
                    + "emails to review.");
    public static final ConfigOption<Map<String, String>> TASK_REVIEW_LABELS = ConfigOptions.key("task.review-labels")
            .mapType().defaultValue(Map.of("scope", "oos"))
            .withDescription("A label per task that sends the event to review whatever its score, as task:label.");

    public static final ConfigOption<Integer> MAX_BATCH_SIZE = ConfigOptions.key("classifier.batch.max-size")
            .intType().defaultValue(32).withDescription("A batch runs as soon as it holds this many events.");
    public static final ConfigOption<Duration> MAX_BATCH_DELAY = ConfigOptions.key("classifier.batch.max-delay")
            .durationType().defaultValue(Duration.ZERO)
            .withDescription("How long a batch may wait for more events once the slot's inference thread is free. 0 "
                    + "starts it at once: under load, events gather while the previous batch runs, so batches still "
                    + "grow to max-size; a delay buys fuller batches (less CPU per event) at the price of latency.");
    public static final ConfigOption<Boolean> SORT_BY_LENGTH = ConfigOptions.key("classifier.batch.sort-by-length")
            .booleanType().defaultValue(true)
            .withDescription("Sort each batch by token count and run it in micro-batches of texts of similar length, "
                    + "so that short texts are not padded to the longest one.");
    public static final ConfigOption<Integer> MICRO_BATCH_SIZE = ConfigOptions.key("classifier.batch.micro-size")
            .intType().defaultValue(8)
            .withDescription("Texts per model call when sorting by length; 0 runs the whole batch in one call. Each "
                    + "call pads to its longest text, and fewer sorted texts are closer in length: on a 2-core host "
                    + "8 ran chat-moderation's raw inference 30% faster than 16 (bench --sweep).");
    public static final ConfigOption<Boolean> SHARE_SESSION = ConfigOptions.key("classifier.share-session")
            .booleanType().defaultValue(true)
            .withDescription("One classifier per model for all slots of a TaskManager instead of one per slot: one copy "
                    + "of the weights; slots classify concurrently (ONNX Runtime's run is thread-safe).");
    public static final ConfigOption<String> MODELS_DIR = ConfigOptions.key("classifier.models-dir")
            .stringType().noDefaultValue()
            .withDescription("Directory of classifiers (NAME/manifest.json, model.onnx, tokenizer.json); unset: the "
                    + "ones bundled in the job jar.");
    public static final ConfigOption<String> DEVICE = ConfigOptions.key("classifier.device")
            .stringType().defaultValue("cpu")
            .withDescription("cpu, or cuda (needs the GPU build; falls back to CPU with a warning).");
    public static final ConfigOption<Integer> INTRA_OP_THREADS = ConfigOptions.key("classifier.intra-op-threads")
            .intType().defaultValue(1)
            .withDescription("ONNX Runtime threads per model call; slots x threads should not exceed the cores. One "
                    + "thread per slot and one slot per core beat fewer slots with more threads (README, Performance).");
    public static final ConfigOption<Boolean> INCLUDE_TEXT = ConfigOptions.key("classifier.include-text")
            .booleanType().defaultValue(true)
            .withDescription("Copy the classified text into each labelled event (else only the source reference).");

    public static final ConfigOption<Integer> MAX_OUTPUT_TEXT_CHARS = ConfigOptions
            .key("classifier.include-text.max-chars").intType().defaultValue(10_000)
            .withDescription("Texts copied into labelled events are cut to this many characters, so that a huge "
                    + "input cannot produce an output record larger than Kafka accepts.");
    public static final ConfigOption<Integer> TOP_SCORES = ConfigOptions.key("classifier.output.top-scores")
            .intType().defaultValue(5)
            .withDescription("How many of the best classes' scores each prediction lists (0: every class). All 77 "
                    + "banking intents made a labelled event ~2.5 kB, and writing them cost the pipeline throughput.");
    public static final ConfigOption<String> DELIVERY_GUARANTEE = ConfigOptions.key("sink.delivery-guarantee")
            .stringType().defaultValue("exactly-once").withDescription("exactly-once or at-least-once.");
    public static final ConfigOption<String> TRANSACTIONAL_ID_PREFIX = ConfigOptions.key("sink.transactional-id-prefix")
            .stringType().defaultValue("stream-classifier")
            .withDescription("Prefix of the sink's Kafka transactional ids; keep it stable across restarts and unique "
                    + "per job on the cluster.");
    public static final ConfigOption<Duration> TRANSACTION_TIMEOUT = ConfigOptions.key("sink.transaction-timeout")
            .durationType().defaultValue(Duration.ofMinutes(10))
            .withDescription("Kafka transaction timeout: above checkpoint interval plus restart time, at most the "
                    + "brokers' transaction.max.timeout.ms.");
    public static final ConfigOption<Duration> CHECKPOINT_INTERVAL = ConfigOptions.key("checkpoint.interval")
            .durationType().defaultValue(Duration.ofSeconds(5))
            .withDescription("Checkpoint interval; exactly-once output becomes visible to read_committed consumers "
                    + "at each checkpoint.");
    public static final ConfigOption<Boolean> UNALIGNED_CHECKPOINTS = ConfigOptions.key("checkpoint.unaligned")
            .booleanType().defaultValue(true)
            .withDescription("Let checkpoint barriers overtake buffered records under backpressure, so checkpoints "
                    + "(and with them exactly-once commits) keep their pace when the classifier is the bottleneck.");
    public static final ConfigOption<Duration> BUFFER_TIMEOUT = ConfigOptions.key("network.buffer-timeout")
            .durationType().defaultValue(Duration.ofMillis(5))
            .withDescription("How long Flink may hold a partly filled network buffer before sending it on. Flink's "
                    + "default, 100 ms, would add up to that much latency between the sources and the classifier; "
                    + "2 ms (with a 5 ms fetch wait) had a p99 of 231 ms at 70% load on 2 cores in one bench run.");
    public static final ConfigOption<Integer> PARALLELISM = ConfigOptions.key("parallelism")
            .intType().noDefaultValue()
            .withDescription("Parallelism of the decode, classify and write operators; unset: the Flink environment's "
                    + "(parallelism.default on a cluster, the number of cores on a local run).");

    private final Configuration configuration;

    private ClassifierOptions(Configuration configuration) {
        this.configuration = configuration;
    }

    public static ClassifierOptions of(Configuration configuration) {
        return new ClassifierOptions(configuration);
    }

    /** Parses {@code --key value} pairs; unknown keys fail with the list of known ones. */
    public static ClassifierOptions fromArgs(String[] args) {
        Configuration configuration = new Configuration();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("Expected --key value, got '" + args[i] + "'");
            }
            String key = args[i].substring(2);
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("Option --" + key + " needs a value");
            }
            configuration.setString(key, args[++i]);
        }
        return new ClassifierOptions(configuration);
    }

    public Configuration configuration() {
        return configuration;
    }

    public <T> T get(ConfigOption<T> option) {
        return configuration.get(option);
    }

    public <T> java.util.Optional<T> getOptional(ConfigOption<T> option) {
        return configuration.getOptional(option);
    }

    public <T> ClassifierOptions set(ConfigOption<T> option, T value) {
        configuration.set(option, value);
        return this;
    }

    /** Every option this class declares. */
    public static List<ConfigOption<?>> all() {
        List<ConfigOption<?>> options = new ArrayList<>();
        for (Field field : ClassifierOptions.class.getFields()) {
            if (Modifier.isStatic(field.getModifiers()) && field.getType() == ConfigOption.class) {
                try {
                    options.add((ConfigOption<?>) field.get(null));
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return options;
    }

    public String bootstrapServers() {
        return get(BOOTSTRAP_SERVERS);
    }

    public Map<EventKind, String> inputTopics() {
        Map<EventKind, String> topics = new EnumMap<>(EventKind.class);
        topics.put(EventKind.EMAIL, get(EMAILS_TOPIC));
        topics.put(EventKind.TICKET, get(TICKETS_TOPIC));
        topics.put(EventKind.CHAT, get(CHATS_TOPIC));
        return topics;
    }

    public Map<EventKind, InputFormat> inputFormats() {
        Map<EventKind, InputFormat> formats = new EnumMap<>(EventKind.class);
        formats.put(EventKind.EMAIL, InputFormat.parse(get(EMAILS_FORMAT)));
        formats.put(EventKind.TICKET, InputFormat.parse(get(TICKETS_FORMAT)));
        formats.put(EventKind.CHAT, InputFormat.parse(get(CHATS_FORMAT)));
        return formats;
    }

    public Map<EventKind, List<String>> tasksByKind() {
        Map<EventKind, List<String>> tasks = new EnumMap<>(EventKind.class);
        tasks.put(EventKind.EMAIL, clean(get(EMAIL_TASKS)));
        tasks.put(EventKind.TICKET, clean(get(TICKET_TASKS)));
        tasks.put(EventKind.CHAT, clean(get(CHAT_TASKS)));
        return tasks;
    }

    private static List<String> clean(List<String> names) {
        return names.stream().map(String::trim).filter(name -> !name.isEmpty()).distinct().toList();
    }

    /** The tasks that some event kind uses, with their model, topic and threshold. */
    public List<TaskSpec> tasks() {
        Set<String> used = new java.util.LinkedHashSet<>();
        tasksByKind().values().forEach(used::addAll);
        Map<String, String> models = get(TASK_MODELS);
        Map<String, String> topics = new LinkedHashMap<>();
        topics.put("moderation", get(MODERATION_TOPIC));
        topics.putAll(get(TASK_TOPICS));
        Map<String, String> thresholds = get(TASK_THRESHOLDS);
        Map<String, String> reviewLabels = get(TASK_REVIEW_LABELS);
        List<TaskSpec> tasks = new ArrayList<>();
        for (String name : used) {
            String threshold = thresholds.get(name);
            tasks.add(new TaskSpec(name, models.get(name), topics.getOrDefault(name, get(ROUTING_TOPIC)),
                    threshold == null ? null : Float.parseFloat(threshold), reviewLabels.get(name)));
        }
        return tasks;
    }

    public DeliveryGuarantee deliveryGuarantee() {
        return switch (get(DELIVERY_GUARANTEE).trim().toLowerCase(java.util.Locale.ROOT)) {
            case "exactly-once", "exactly_once" -> DeliveryGuarantee.EXACTLY_ONCE;
            case "at-least-once", "at_least_once" -> DeliveryGuarantee.AT_LEAST_ONCE;
            default -> throw new IllegalArgumentException("sink.delivery-guarantee must be exactly-once or "
                    + "at-least-once, was '" + get(DELIVERY_GUARANTEE) + "'");
        };
    }

    /** The Kafka client properties given under {@value #KAFKA_PROPERTIES_PREFIX}, prefix removed. */
    public Properties kafkaProperties() {
        Properties properties = new Properties();
        for (Map.Entry<String, String> entry : configuration.toMap().entrySet()) {
            if (entry.getKey().startsWith(KAFKA_PROPERTIES_PREFIX)) {
                properties.setProperty(entry.getKey().substring(KAFKA_PROPERTIES_PREFIX.length()), entry.getValue());
            }
        }
        return properties;
    }

    /** The parallelism of the decode, classify and write operators: the option, or the environment's. */
    public int parallelism(StreamExecutionEnvironment env) {
        return getOptional(PARALLELISM).orElse(env.getParallelism());
    }

    public ClassifierConfig classifierConfig() {
        return new ClassifierConfig(tasks(), tasksByKind(), get(MAX_BATCH_SIZE), get(MAX_BATCH_DELAY),
                new BatchShape(get(SORT_BY_LENGTH), get(MICRO_BATCH_SIZE), false), get(MODELS_DIR), ExecutionDevice.parse(get(DEVICE)), get(INTRA_OP_THREADS), get(INCLUDE_TEXT),
                get(MAX_OUTPUT_TEXT_CHARS), get(TOP_SCORES),
                get(REVIEW_TOPIC), get(DEAD_LETTER_TOPIC));
    }

    /**
     * Checks every option and collects all problems into one message, so a user fixes them in one go. Does not open
     * models: {@link ModelCheck} does that.
     *
     * @throws IllegalArgumentException listing what to fix
     */
    public ClassifierOptions validate() {
        List<String> problems = new ArrayList<>();
        Set<String> known = new HashSet<>();
        all().forEach(option -> known.add(option.key()));
        for (String key : configuration.keySet()) {
            if (!known.contains(key) && !key.startsWith(KAFKA_PROPERTIES_PREFIX)) {
                problems.add("unknown option '" + key + "' (known: " + new TreeMap<>(describeAll()).keySet()
                        + ", and kafka.properties.* for Kafka client settings)");
            }
        }
        if (problems.isEmpty()) {
            validateValues(problems);
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("Invalid configuration:\n  - " + String.join("\n  - ", problems));
        }
        return this;
    }

    private void validateValues(List<String> problems) {
        String bootstrap = get(BOOTSTRAP_SERVERS);
        if (bootstrap == null || bootstrap.isBlank()) {
            problems.add("kafka.bootstrap-servers is required, e.g. --kafka.bootstrap-servers localhost:9092");
        }
        check(problems, () -> inputFormats());
        check(problems, () -> ExecutionDevice.parse(get(DEVICE)));
        if (get(MAX_BATCH_SIZE) < 1 || get(MAX_BATCH_SIZE) > 4096) {
            problems.add("classifier.batch.max-size must be between 1 and 4096, was " + get(MAX_BATCH_SIZE));
        }
        if (get(MAX_BATCH_DELAY).isNegative()) {
            problems.add("classifier.batch.max-delay must be 0 (a batch starts as soon as the slot's inference thread "
                    + "is free) or more, e.g. 20 ms");
        }
        if (get(MICRO_BATCH_SIZE) < 0) {
            problems.add("classifier.batch.micro-size must be 0 (one call per batch) or more");
        }
        if (get(MAX_OUTPUT_TEXT_CHARS) < 1) {
            problems.add("classifier.include-text.max-chars must be at least 1");
        }
        if (get(INTRA_OP_THREADS) < 1) {
            problems.add("classifier.intra-op-threads must be at least 1");
        }
        if (get(TOP_SCORES) < 0) {
            problems.add("classifier.output.top-scores must be 0 (every class) or more");
        }
        if (getOptional(PARALLELISM).orElse(1) < 1) {
            problems.add("parallelism must be at least 1");
        }
        Map<EventKind, List<String>> byKind = tasksByKind();
        if (byKind.values().stream().allMatch(List::isEmpty)) {
            problems.add("no tasks configured: set tasks.email, tasks.ticket or tasks.chat");
        }
        for (TaskSpec task : tasks()) {
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
        }
        check(problems, () -> get(TASK_THRESHOLDS).values().forEach(Float::parseFloat));
        Set<String> inputs = new HashSet<>(inputTopics().values());
        Set<String> outputs = new HashSet<>(List.of(get(REVIEW_TOPIC), get(DEAD_LETTER_TOPIC)));
        tasks().forEach(task -> outputs.add(task.outputTopic()));
        for (String topic : outputs) {
            if (inputs.contains(topic)) {
                problems.add("topic '" + topic + "' is both an input and an output: the job would read its own output");
            }
        }
        try {
            DeliveryGuarantee guarantee = deliveryGuarantee();
            Duration interval = get(CHECKPOINT_INTERVAL);
            if (guarantee == DeliveryGuarantee.EXACTLY_ONCE) {
                String prefix = get(TRANSACTIONAL_ID_PREFIX);
                if (prefix == null || prefix.isBlank()) {
                    problems.add("sink.transactional-id-prefix is required for exactly-once: set a stable name "
                            + "unique to this job, e.g. stream-classifier-prod");
                }
                if (interval.isZero() || interval.isNegative()) {
                    problems.add("checkpoint.interval must be positive for exactly-once: output is committed at checkpoints");
                }
                Duration timeout = get(TRANSACTION_TIMEOUT);
                Duration brokerMax = get(BROKER_MAX_TRANSACTION_TIMEOUT);
                if (timeout.compareTo(brokerMax) > 0) {
                    problems.add("sink.transaction-timeout (" + timeout + ") exceeds the brokers' "
                            + "transaction.max.timeout.ms (" + brokerMax + "): lower it, or raise the broker setting "
                            + "and kafka.broker.transaction-max-timeout");
                }
                if (timeout.compareTo(interval.multipliedBy(3)) < 0) {
                    problems.add("sink.transaction-timeout (" + timeout + ") must be well above checkpoint.interval ("
                            + interval + ") plus restart time, or transactions expire before they commit");
                }
            }
        } catch (IllegalArgumentException e) {
            problems.add(e.getMessage());
        }
    }

    private static void check(List<String> problems, Runnable check) {
        try {
            check.run();
        } catch (IllegalArgumentException e) {
            problems.add(e.getMessage());
        }
    }

    /** Option keys with their descriptions, for {@code --help}. */
    public static Map<String, String> describeAll() {
        Map<String, String> described = new LinkedHashMap<>();
        for (ConfigOption<?> option : all()) {
            String defaultValue = option.hasDefaultValue() ? " (default: " + option.defaultValue() + ")" : "";
            described.put(option.key(), option.description().toString() + defaultValue);
        }
        return described;
    }

    /** The effective configuration with secrets masked, for logs. */
    public Map<String, String> printable() {
        Map<String, String> printable = new TreeMap<>();
        configuration.toMap().forEach((key, value) -> printable.put(key, isSecret(key) ? "******" : value));
        return printable;
    }

    static boolean isSecret(String key) {
        String lower = key.toLowerCase(java.util.Locale.ROOT);
        return lower.contains("password") || lower.contains("jaas") || lower.contains("secret")
                || lower.contains("token") || lower.contains("credential") || lower.endsWith(".key");
    }
}
