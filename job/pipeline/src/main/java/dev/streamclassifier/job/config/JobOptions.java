package dev.streamclassifier.job.config;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Every option of the job, with its default and description: the one place either is written. Options arrive as
 * {@code --key value} arguments ({@link CommandLine}) or in a Flink configuration; {@link JobConfig} turns them into
 * typed settings after {@link OptionsValidator} has checked them. Keys under {@value #KAFKA_PROPERTIES_PREFIX} pass
 * through to every Kafka client of the job (security settings, say).
 */
public final class JobOptions {
    public static final String KAFKA_PROPERTIES_PREFIX = "kafka.properties.";

    public static final ConfigOption<String> BOOTSTRAP_SERVERS = ConfigOptions.key("kafka.bootstrap-servers")
            .stringType().noDefaultValue()
            .withDescription("Kafka bootstrap servers, e.g. localhost:9092. Required.");
    public static final ConfigOption<String> GROUP_ID = ConfigOptions.key("kafka.group-id")
            .stringType().defaultValue("stream-classifier")
            .withDescription("Consumer group under which the sources commit their offsets at checkpoints (for lag "
                    + "monitoring; the job itself restores its offsets from checkpoints).");
    public static final ConfigOption<Duration> BROKER_MAX_TRANSACTION_TIMEOUT = ConfigOptions
            .key("kafka.broker.transaction-max-timeout").durationType().defaultValue(Duration.ofMinutes(15))
            .withDescription("The brokers' transaction.max.timeout.ms; the sink's transaction timeout must not "
                    + "exceed it, or every transaction fails.");

    public static final ConfigOption<String> EMAILS_TOPIC = ConfigOptions.key("topic.emails")
            .stringType().defaultValue("emails").withDescription("Input topic of emails.");
    public static final ConfigOption<String> TICKETS_TOPIC = ConfigOptions.key("topic.tickets")
            .stringType().defaultValue("tickets").withDescription("Input topic of support tickets.");
    public static final ConfigOption<String> CHATS_TOPIC = ConfigOptions.key("topic.chats")
            .stringType().defaultValue("chats").withDescription("Input topic of chat messages.");
    public static final ConfigOption<String> EMAILS_FORMAT = ConfigOptions.key("format.emails")
            .stringType().defaultValue("auto")
            .withDescription("Encoding of the emails topic: avro (single-object), json, or auto (either, told apart "
                    + "by the first bytes).");
    public static final ConfigOption<String> TICKETS_FORMAT = ConfigOptions.key("format.tickets")
            .stringType().defaultValue("auto")
            .withDescription("Encoding of the tickets topic: avro (single-object), json, or auto.");
    public static final ConfigOption<String> CHATS_FORMAT = ConfigOptions.key("format.chats")
            .stringType().defaultValue("auto")
            .withDescription("Encoding of the chats topic: avro (single-object), json, or auto.");

    public static final ConfigOption<String> ROUTING_TOPIC = ConfigOptions.key("topic.routing")
            .stringType().defaultValue("routing")
            .withDescription("Output topic of every task but moderation, unless task.topics says otherwise.");
    public static final ConfigOption<String> MODERATION_TOPIC = ConfigOptions.key("topic.moderation")
            .stringType().defaultValue("moderation").withDescription("Output topic of the moderation task.");
    public static final ConfigOption<String> REVIEW_TOPIC = ConfigOptions.key("topic.review")
            .stringType().defaultValue("review")
            .withDescription("Events with any prediction under its task's threshold, or with a task's review label, "
                    + "go here instead of their tasks' topics.");
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
                    + "oos label sends out-of-scope tickets to review).");
    public static final ConfigOption<List<String>> CHAT_TASKS = ConfigOptions.key("tasks.chat")
            .stringType().asList().defaultValues("moderation").withDescription("Tasks run on every chat message.");
    public static final ConfigOption<Map<String, String>> TASK_MODELS = ConfigOptions.key("task.models")
            .mapType().defaultValue(Map.of("routing", "ticket-routing", "moderation", "chat-moderation",
                    "scope", "support-intent", "intent", "email-intent"))
            .withDescription("Classifier of each task, as task:model pairs.");
    public static final ConfigOption<Map<String, String>> TASK_TOPICS = ConfigOptions.key("task.topics")
            .mapType().defaultValue(Map.of())
            .withDescription("Output topic of each task as task:topic pairs; moderation defaults to topic.moderation, "
                    + "every other task to topic.routing (scope and intent enrich the routed event).");
    public static final ConfigOption<Map<String, String>> TASK_THRESHOLDS = ConfigOptions.key("task.thresholds")
            .mapType().defaultValue(Map.of("intent", "0.5"))
            .withDescription("Confidence threshold per task as task:value pairs; unlisted tasks use their model "
                    + "manifest's. intent is 0.5, so it never sends an email to review on its own: email-intent's "
                    + "own 0.90 would send most emails there.");
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
            .withDescription("Texts per model call when sorting by length; 0 runs the whole batch in one call (for "
                    + "GPUs). Each call pads to its longest text, and fewer sorted texts are closer in length.");
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
            .withDescription("cpu, or cuda (needs the GPU build of ONNX Runtime; falls back to CPU with a warning).");
    public static final ConfigOption<Integer> INTRA_OP_THREADS = ConfigOptions.key("classifier.intra-op-threads")
            .intType().defaultValue(1)
            .withDescription("ONNX Runtime threads per model call; slots x threads should not exceed the cores. One "
                    + "single-threaded call per slot and one slot per core keep every core busy, where one call on "
                    + "several threads leaves them waiting on each other.");
    public static final ConfigOption<Boolean> INCLUDE_TEXT = ConfigOptions.key("classifier.include-text")
            .booleanType().defaultValue(true)
            .withDescription("Copy the classified text into each labelled event (else only the source reference).");
    public static final ConfigOption<Integer> MAX_OUTPUT_TEXT_CHARS = ConfigOptions
            .key("classifier.include-text.max-chars").intType().defaultValue(10_000)
            .withDescription("Texts copied into labelled events are cut to this many characters, so that a huge "
                    + "input cannot produce an output record larger than Kafka accepts.");
    public static final ConfigOption<Integer> TOP_SCORES = ConfigOptions.key("classifier.output.top-scores")
            .intType().defaultValue(5)
            .withDescription("How many of the best classes' scores each prediction lists (0: every class). Every class "
                    + "of a large model would make each labelled event several times larger.");

    public static final ConfigOption<String> DELIVERY_GUARANTEE = ConfigOptions.key("sink.delivery-guarantee")
            .stringType().defaultValue("exactly-once").withDescription("exactly-once or at-least-once.");
    public static final ConfigOption<String> TRANSACTIONAL_ID_PREFIX = ConfigOptions.key("sink.transactional-id-prefix")
            .stringType().defaultValue("stream-classifier")
            .withDescription("Prefix of the sink's Kafka transactional ids; keep it stable across restarts and unique "
                    + "per job on the cluster.");
    public static final ConfigOption<Integer> MAX_RECORD_BYTES = ConfigOptions.key("sink.max-record-bytes")
            .intType().defaultValue(1_000_000)
            .withDescription("The most an output record may take (key and value). Dead letters and labelled events "
                    + "are cut to fit: a record the sink cannot write would fail the job on every retry. Must leave "
                    + "room for Kafka's framing under the producer's max.request.size and the output topics' "
                    + "max.message.bytes; the start-up checks say by how much.");
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
                    + "default, 100 ms, would add up to that much latency between the sources and the classifier.");
    public static final ConfigOption<Integer> PARALLELISM = ConfigOptions.key("parallelism")
            .intType().noDefaultValue()
            .withDescription("Parallelism of the decode, classify and write operators; unset: the Flink environment's "
                    + "(parallelism.default on a cluster, the number of cores on a local run).");

    private JobOptions() {}

    /** Every option declared above, in declaration order. */
    public static List<ConfigOption<?>> all() {
        List<ConfigOption<?>> options = new ArrayList<>();
        for (Field field : JobOptions.class.getFields()) {
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
}
