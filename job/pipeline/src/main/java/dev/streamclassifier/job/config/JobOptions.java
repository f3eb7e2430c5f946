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
            .withDescription("Encoding of the emails topic: avro (single-object), json, registry-avro (byte 0 and "
                    + "a schema id, as registry serializers write; needs registry.url), or auto (any of these, told "
                    + "apart by the first bytes).");
    public static final ConfigOption<String> TICKETS_FORMAT = ConfigOptions.key("format.tickets")
            .stringType().defaultValue("auto")
            .withDescription("Encoding of the tickets topic: avro, json, registry-avro or auto (see format.emails).");
    public static final ConfigOption<String> CHATS_FORMAT = ConfigOptions.key("format.chats")
            .stringType().defaultValue("auto")
            .withDescription("Encoding of the chats topic: avro, json, registry-avro or auto (see format.emails).");

    public static final ConfigOption<String> REGISTRY_URL = ConfigOptions.key("registry.url")
            .stringType().noDefaultValue()
            .withDescription("Root of a Confluent-compatible schema registry API, for registry-avro topics and "
                    + "output: e.g. http://registry:8081 (Confluent, Karapace, Redpanda) or "
                    + "http://registry:8080/apis/ccompat/v7 (Apicurio).");
    public static final ConfigOption<String> REGISTRY_USER_INFO = ConfigOptions.key("registry.basic-auth.user-info")
            .stringType().noDefaultValue()
            .withDescription("user:password for the registry's HTTP basic authentication; put it in a secret and "
                    + "pass it through the environment, not in a file under version control.");
    public static final ConfigOption<String> REGISTRY_SUBJECT_STRATEGY = ConfigOptions
            .key("registry.subject-strategy").stringType().defaultValue("topic")
            .withDescription("Subject an output schema is registered under: topic (<topic>-value), record (the "
                    + "record's full name) or topic-record (<topic>-<record full name>), as Confluent's serializers "
                    + "name them.");
    public static final ConfigOption<Duration> REGISTRY_MAX_BACKOFF = ConfigOptions.key("registry.max-backoff")
            .durationType().defaultValue(Duration.ofSeconds(30))
            .withDescription("While the registry cannot be reached, records wait (none is dead-lettered for it) and "
                    + "requests are retried at growing intervals up to this one.");

    public static final ConfigOption<String> EMAIL_JSON_ID = jsonId("email");
    public static final ConfigOption<List<String>> EMAIL_JSON_TEXT = jsonText("email", "/subject", "/body");
    public static final ConfigOption<String> EMAIL_JSON_TIME = jsonTime("email", "/receivedAt");
    public static final ConfigOption<Map<String, String>> EMAIL_JSON_ATTRIBUTES = jsonAttributes("email",
            Map.of("from", "/from"));
    public static final ConfigOption<String> TICKET_JSON_ID = jsonId("ticket");
    public static final ConfigOption<List<String>> TICKET_JSON_TEXT = jsonText("ticket", "/subject", "/description");
    public static final ConfigOption<String> TICKET_JSON_TIME = jsonTime("ticket", "/createdAt");
    public static final ConfigOption<Map<String, String>> TICKET_JSON_ATTRIBUTES = jsonAttributes("ticket",
            Map.of("customerId", "/customerId", "channel", "/channel"));
    public static final ConfigOption<String> CHAT_JSON_ID = jsonId("chat");
    public static final ConfigOption<List<String>> CHAT_JSON_TEXT = jsonText("chat", "/text");
    public static final ConfigOption<String> CHAT_JSON_TIME = jsonTime("chat", "/sentAt");
    public static final ConfigOption<Map<String, String>> CHAT_JSON_ATTRIBUTES = jsonAttributes("chat",
            Map.of("userId", "/userId", "conversationId", "/conversationId"));
    public static final ConfigOption<String> JSON_TEXT_SEPARATOR = ConfigOptions.key("json.text-separator")
            .stringType().defaultValue("\n")
            .withDescription("Joins the text parts a JSON mapping names (a subject and a body, say).");
    public static final ConfigOption<Boolean> STRIP_QUOTED_REPLIES = ConfigOptions.key("email.strip-quoted-replies")
            .booleanType().defaultValue(false)
            .withDescription("Leave out of an email's text what it quotes (lines starting with >, an 'On ... wrote:' "
                    + "line and what follows, a forwarded original) and its signature: the model then reads what "
                    + "the sender wrote, and a long thread fits the window.");

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

    public static final ConfigOption<Map<String, String>> TASK_MAX_WINDOWS = ConfigOptions.key("task.max-windows")
            .mapType().defaultValue(Map.of("moderation", "12"))
            .withDescription("A text longer than its task's window (task.window-tokens) is read from its start as up "
                    + "to this many overlapping windows, as task:count; unlisted tasks read 1, the start only. The "
                    + "task combines the windows' scores (task.window-aggregation); the rest of the text is not "
                    + "read, and the event records the windows read and that the text was cut. The cost of a text "
                    + "grows with the tokens of its windows: 12 windows of 16 tokens cost about 1.4 times one of "
                    + "128.");
    public static final ConfigOption<Map<String, String>> TASK_WINDOW_TOKENS = ConfigOptions.key("task.window-tokens")
            .mapType().defaultValue(Map.of("moderation", "16"))
            .withDescription("Tokens per window for a task's long texts, as task:count; unlisted tasks use their "
                    + "model's window. The encoders average over a window, so one insult in a long window is "
                    + "diluted by the harmless text around it: moderation reads sentence-sized windows.");
    public static final ConfigOption<Integer> WINDOW_OVERLAP = ConfigOptions.key("classifier.long-text.overlap-tokens")
            .intType().defaultValue(4)
            .withDescription("Tokens a window shares with the one before, so that a phrase one window cuts is whole "
                    + "in the next.");
    public static final ConfigOption<Map<String, String>> TASK_WINDOW_AGGREGATION = ConfigOptions
            .key("task.window-aggregation").mapType().defaultValue(Map.of("moderation", "max"))
            .withDescription("How a task combines the windows of a long text, as task:mean or task:max; unlisted "
                    + "tasks take the mean. max takes the window least likely to be the task's benign label "
                    + "(task.benign-labels): one toxic passage makes a toxic message.");
    public static final ConfigOption<Map<String, String>> TASK_BENIGN_LABELS = ConfigOptions.key("task.benign-labels")
            .mapType().defaultValue(Map.of("moderation", "safe"))
            .withDescription("The label of harmless text per task, as task:label: max aggregation compares windows "
                    + "by it.");

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
    public static final ConfigOption<String> MODEL_STORE = ConfigOptions.key("model-store.uri")
            .stringType().noDefaultValue()
            .withDescription("Root of the versioned model store (NAME/VERSION/{manifest.json, model.onnx, "
                    + "tokenizer.json}), e.g. file:///models or s3://bucket/models: set it to switch model versions "
                    + "without a restart through the model-updates topic. The job starts with the bundled models (or "
                    + "classifier.models-dir) and applies the topic's updates from its start.");
    public static final ConfigOption<String> MODEL_UPDATES_TOPIC = ConfigOptions.key("topic.model-updates")
            .stringType().defaultValue("model-updates")
            .withDescription("Control topic of model updates (one partition), read when model-store.uri is set.");
    public static final ConfigOption<String> MODEL_EVENTS_TOPIC = ConfigOptions.key("topic.model-events")
            .stringType().defaultValue("model-events")
            .withDescription("Where each classify instance reports what it did with a model update: active, "
                    + "shadowing, or rejected with the reason.");
    public static final ConfigOption<Double> MAX_LATENCY_RATIO = ConfigOptions.key("model-updates.max-latency-ratio")
            .doubleType().defaultValue(2.0)
            .withDescription("A new version that takes more than this many times the active version's time on the "
                    + "same smoke batch is rejected.");
    public static final ConfigOption<Integer> CACHE_ENTRIES = ConfigOptions.key("classifier.cache.max-entries")
            .intType().defaultValue(10_000)
            .withDescription("Results each classify instance keeps per model version for texts that repeat (\"ok\", "
                    + "the same spam line), keyed by a hash of the whitespace-normalised text, least recently used "
                    + "first out; 0 turns the cache off. A new version starts with an empty cache.");
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
    public static final ConfigOption<Boolean> MASK_PII = ConfigOptions.key("classifier.include-text.mask-pii")
            .booleanType().defaultValue(true)
            .withDescription("Mask e-mail addresses, phone numbers, payment card numbers (Luhn-checked) and IBANs "
                    + "(mod-97-checked) in the text copied into labelled events; the model still reads the original. "
                    + "Dead letters keep the raw record, for replay.");
    public static final ConfigOption<String> OUTPUT_FORMAT = ConfigOptions.key("format.output")
            .stringType().defaultValue("avro")
            .withDescription("Encoding of labelled events and dead letters: avro (single-object), json, or "
                    + "registry-avro (framed for a schema registry: registry.url).");
    public static final ConfigOption<String> OUTPUT_KEY = ConfigOptions.key("output.key")
            .stringType().defaultValue("input")
            .withDescription("Key of each output record: input (the input record's key, so a conversation's or a "
                    + "customer's events stay in one partition and in order; the event id when it has none), id, or "
                    + "attribute:NAME (a field the event carries).");
    public static final ConfigOption<List<String>> OUTPUT_HEADERS = ConfigOptions.key("output.headers")
            .stringType().asList().defaultValues()
            .withDescription("Input record headers to copy onto every output record of the same input, e.g. "
                    + "traceparent;tenant.");
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

    private static ConfigOption<String> jsonId(String kind) {
        return ConfigOptions.key("json." + kind + ".id").stringType().defaultValue("/id")
                .withDescription("JSON pointer to a JSON " + kind + "'s id.");
    }

    private static ConfigOption<List<String>> jsonText(String kind, String... pointers) {
        return ConfigOptions.key("json." + kind + ".text").stringType().asList().defaultValues(pointers)
                .withDescription("JSON pointers to the parts of a JSON " + kind + "'s text, joined in this order; "
                        + "missing or empty parts are left out, and at least one must hold text.");
    }

    private static ConfigOption<String> jsonTime(String kind, String pointer) {
        return ConfigOptions.key("json." + kind + ".time").stringType().defaultValue(pointer)
                .withDescription("JSON pointer to a JSON " + kind + "'s time (epoch milliseconds or ISO-8601); "
                        + "missing: the Kafka record's timestamp.");
    }

    private static ConfigOption<Map<String, String>> jsonAttributes(String kind, Map<String, String> defaults) {
        return ConfigOptions.key("json." + kind + ".attributes").mapType().defaultValue(defaults)
                .withDescription("Fields of a JSON " + kind + " carried into its labelled event's attributes, as "
                        + "name:pointer pairs.");
    }

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
