package dev.streamclassifier.job;

import dev.streamclassifier.models.LabelledText;
import dev.streamclassifier.schemas.ClassifiedEvent;
import dev.streamclassifier.schemas.Prediction;
import dev.streamclassifier.schemas.SingleObjectCodec;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The embedded demo: starts a Kafka broker and a Flink mini-cluster in this JVM, produces a mix of emails, tickets and
 * chat messages (or replays a {@code text,label} file), runs the job on them and shows what happens, live: events/s,
 * label counts, a few labelled examples, dead letters. Ends by itself once every event is accounted for.
 */
public final class Demo {
    private static final PrintStream OUT = System.out;

    private final DemoSettings settings;
    private final AtomicLong produced = new AtomicLong();
    private final AtomicBoolean producing = new AtomicBoolean(true);
    private final AtomicBoolean stopped = new AtomicBoolean();

    private Demo(DemoSettings settings) {
        this.settings = settings;
    }

    public static void main(String[] args) throws Exception {
        if (List.of(args).contains("--help")) {
            System.out.println(DemoSettings.USAGE);
            return;
        }
        DemoSettings settings;
        try {
            settings = DemoSettings.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage() + "\n\n" + DemoSettings.USAGE);
            System.exit(2);
            return;
        }
        int exitCode = new Demo(settings).run();
        System.exit(exitCode);
    }

    int run() throws Exception {
        System.setProperty("ai.djl.offline", "true");
        long startNanos = System.nanoTime();
        OUT.println("stream-classifier demo: starting an in-process Kafka broker (KRaft) ...");
        try (EmbeddedKafka kafka = startQuietly()) {
            ClassifierOptions options = settings.jobOptions(kafka.bootstrapServers()).validate();
            List<String> topics = new ArrayList<>(options.inputTopics().values());
            topics.addAll(ClassifierJob.outputTopics(options));
            kafka.createTopics(topics, 2);
            OUT.printf("Kafka is up at %s; topics: %s%n", kafka.bootstrapServers(), topics);
            OUT.println("Checking the models ...");
            ModelCheck.check(options.classifierConfig());

            int uiPort = freePort(settings.uiPort);
            // One slot per classifier (one per core unless --parallelism says otherwise); the sources need just one.
            int parallelism = options.getOptional(ClassifierOptions.PARALLELISM)
                    .orElse(Runtime.getRuntime().availableProcessors());
            options.set(ClassifierOptions.PARALLELISM, parallelism);
            Configuration flinkConfig = new Configuration();
            flinkConfig.set(TaskManagerOptions.NUM_TASK_SLOTS, parallelism);
            flinkConfig.set(RestOptions.PORT, uiPort);
            flinkConfig.set(RestOptions.BIND_ADDRESS, "localhost");
            StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironmentWithWebUI(flinkConfig);
            env.setParallelism(1);
            ClassifierJob.configureCheckpointing(env, options);
            KafkaConnectors connectors = new KafkaConnectors(options, false);
            ClassifierJob.buildPipeline(env, options, connectors, connectors);
            JobClient job = env.executeAsync("stream-classifier demo");
            OUT.printf("Flink mini-cluster is running the job %s. Web UI: http://localhost:%d%n", job.getJobID(), uiPort);
            OUT.printf("Producing %,d events%s ... (Ctrl-C stops early)%n%n", settings.events,
                    settings.dataFile == null ? " (emails, tickets, chats; Avro and JSON; a few corrupt)"
                            : " from " + settings.dataFile);

            Thread hook = new Thread(() -> stopped.set(true));
            Runtime.getRuntime().addShutdownHook(hook);
            Thread producer = new Thread(() -> produce(kafka.bootstrapServers(), options), "demo-producer");
            producer.setDaemon(true);
            producer.start();
            Summary summary = watch(kafka.bootstrapServers(), options, startNanos);
            producing.set(false);
            job.cancel().get();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // Ctrl-C: the JVM is already on its way out
            }
            OUT.println();
            OUT.println(summary.line(settings, options));
            return 0;
        }
    }

    /** The broker's start-up prints its metadata bootstrap to stdout; keep the demo's screen for the demo. */
    private static EmbeddedKafka startQuietly() throws Exception {
        PrintStream stdout = System.out;
        System.setOut(new PrintStream(java.io.OutputStream.nullOutputStream()));
        try {
            return EmbeddedKafka.start(null);
        } finally {
            System.setOut(stdout);
        }
    }

    private static int freePort(int preferred) {
        try (ServerSocket socket = new ServerSocket(preferred)) {
            return preferred;
        } catch (IOException taken) {
            try (ServerSocket socket = new ServerSocket(0)) {
                return socket.getLocalPort();
            } catch (IOException e) {
                return preferred;
            }
        }
    }

    private void produce(String bootstrap, ClassifierOptions options) {
        SampleEvents samples = new SampleEvents(42);
        java.util.Random random = new java.util.Random(42);
        List<LabelledText> replay = settings.replay();
        long intervalNanos = settings.rate > 0 ? 1_000_000_000L / settings.rate : 0;
        long next = System.nanoTime();
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(bootstrap)) {
            for (int i = 0; i < settings.events && producing.get() && !stopped.get(); i++) {
                ProducerRecord<byte[], byte[]> record = replay == null
                        ? sampleRecord(samples, random, options, i)
                        : replayRecord(samples, options, replay.get(i % replay.size()), i);
                producer.send(record);
                produced.incrementAndGet();
                if (intervalNanos > 0) {
                    next += intervalNanos;
                    long sleep = next - System.nanoTime();
                    if (sleep > 0) {
                        Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
                    }
                }
            }
            producer.flush();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            producing.set(false);
        }
    }

    private static ProducerRecord<byte[], byte[]> sampleRecord(SampleEvents samples, java.util.Random random,
            ClassifierOptions options, int i) {
        Map<EventKind, String> topics = options.inputTopics();
        boolean json = random.nextInt(10) < 3;
        int roll = random.nextInt(100);
        if (roll < 1) {
            // One in a hundred is corrupt, to show the dead-letter topic at work.
            byte[] garbage = random.nextBoolean() ? "{\"id\": \"broken".getBytes(StandardCharsets.UTF_8)
                    : new byte[] {(byte) 0xC3, 0x01, 9, 9, 9};
            return new ProducerRecord<>(topics.get(EventKind.CHAT), garbage);
        }
        if (roll < 40) {
            var ticket = samples.ticket("ticket-" + i);
            return new ProducerRecord<>(topics.get(EventKind.TICKET), key(ticket.getId()),
                    json ? SampleEvents.json(ticket) : samples.avro(ticket));
        }
        if (roll < 60) {
            var email = samples.email("email-" + i);
            return new ProducerRecord<>(topics.get(EventKind.EMAIL), key(email.getId()),
                    json ? SampleEvents.json(email) : samples.avro(email));
        }
        var chat = samples.chat("chat-" + i);
        return new ProducerRecord<>(topics.get(EventKind.CHAT), key(chat.getId()),
                json ? SampleEvents.json(chat) : samples.avro(chat));
    }

    private ProducerRecord<byte[], byte[]> replayRecord(SampleEvents samples, ClassifierOptions options,
            LabelledText row, int i) {
        String id = settings.dataKind.name().toLowerCase(Locale.ROOT) + "-" + i;
        String topic = options.inputTopics().get(settings.dataKind);
        byte[] value = switch (settings.dataKind) {
            case TICKET -> samples.avro(samples.ticket(id, row.text()));
            case CHAT -> samples.avro(samples.chat(id, row.text()));
            case EMAIL -> samples.avro(dev.streamclassifier.schemas.Email.newBuilder(samples.email(id))
                    .setSubject("").setBody(row.text()).build());
        };
        return new ProducerRecord<>(topic, key(id), value);
    }

    private static byte[] key(String id) {
        return id.getBytes(StandardCharsets.UTF_8);
    }

    /** Reads the outputs as a downstream consumer would (read_committed) and prints progress once a second. */
    private Summary watch(String bootstrap, ClassifierOptions options, long startNanos) {
        Summary summary = new Summary();
        String deadLetterTopic = options.get(ClassifierOptions.DEAD_LETTER_TOPIC);
        String reviewTopic = options.get(ClassifierOptions.REVIEW_TOPIC);
        SingleObjectCodec<ClassifiedEvent> codec = SingleObjectCodec.of(ClassifiedEvent.getClassSchema());
        Set<String> seen = new HashSet<>();
        Deque<String> examples = new ArrayDeque<>();
        long lastPrint = System.nanoTime();
        long lastCount = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = KafkaClients.readCommittedConsumer(bootstrap)) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : ClassifierJob.outputTopics(options)) {
                consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            while (!stopped.get()) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.topic().equals(deadLetterTopic)) {
                        summary.deadLetters++;
                        continue;
                    }
                    ClassifiedEvent event = codec.decode(record.value());
                    if (!seen.add(event.getSourceKind() + "/" + event.getSourceId())) {
                        continue;
                    }
                    summary.add(event, record.topic().equals(reviewTopic), settings.replay(), settings.dataKind);
                    if (examples.size() >= 3) {
                        examples.removeFirst();
                    }
                    examples.addLast(describe(event, record.topic()));
                }
                long now = System.nanoTime();
                boolean done = !producing.get() && summary.accounted() >= produced.get();
                if (now - lastPrint >= 1_000_000_000L || done) {
                    double seconds = (now - lastPrint) / 1e9;
                    long count = summary.accounted();
                    printStatus(summary, examples, (count - lastCount) / seconds, (now - startNanos) / 1e9);
                    lastPrint = now;
                    lastCount = count;
                }
                if (done) {
                    break;
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("Cannot decode an output record: " + e.getMessage(), e);
        }
        return summary;
    }

    private void printStatus(Summary summary, Deque<String> examples, double rate, double elapsed) {
        long total = settings.events;
        if (summary.accounted() == 0) {
            OUT.printf(Locale.ROOT, "[%5.1fs] produced %,d/%,d | waiting for the first checkpoint: output is committed "
                    + "(and visible to read_committed consumers) at each checkpoint%n", elapsed, produced.get(), total);
            return;
        }
        double left = rate > 0 ? (total - summary.accounted()) / rate : Double.NaN;
        OUT.printf(Locale.ROOT, "[%5.1fs] produced %,d/%,d | labelled %,d (%.0f events/s) | review %,d | dead letters %,d"
                        + "%s%n", elapsed, produced.get(), total, summary.labelled, rate, summary.review,
                summary.deadLetters, Double.isNaN(left) || left <= 0 ? "" : String.format(Locale.ROOT, " | ~%.0fs left", left));
        summary.labels.forEach((task, counts) -> OUT.printf("         %-10s %s%n", task, top(counts, 5)));
        if (summary.replayChecked > 0) {
            OUT.printf(Locale.ROOT, "         agreement with the file's labels: %.1f%% of %,d%n",
                    100.0 * summary.replayAgreed / summary.replayChecked, summary.replayChecked);
        }
        for (String example : examples) {
            OUT.println("         e.g. " + example);
        }
    }

    private static String top(Map<String, Long> counts, int n) {
        StringBuilder line = new StringBuilder();
        counts.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(n)
                .forEach(e -> line.append(e.getKey()).append('=').append(e.getValue()).append("  "));
        if (counts.size() > n) {
            line.append("(+").append(counts.size() - n).append(" more labels)");
        }
        return line.toString().trim();
    }

    private static String describe(ClassifiedEvent event, String topic) {
        String text = event.getText() == null ? "" : event.getText().replaceAll("\\s+", " ");
        if (text.length() > 60) {
            text = text.substring(0, 57) + "...";
        }
        StringBuilder labels = new StringBuilder();
        for (Prediction prediction : event.getPredictions()) {
            labels.append(String.format(Locale.ROOT, "%s=%s (%.2f) ", prediction.getTask(), prediction.getLabel(),
                    prediction.getScore()));
        }
        return String.format(Locale.ROOT, "%s \"%s\" -> %s[%s]", event.getSourceKind(), text, labels, topic);
    }

    /** What the demo saw. */
    private static final class Summary {
        long labelled;
        long review;
        long deadLetters;
        long batchSizeSum;
        int maxBatch;
        long firstProcessedAt = Long.MAX_VALUE;
        long lastProcessedAt;
        long replayChecked;
        long replayAgreed;
        final Map<String, Map<String, Long>> labels = new TreeMap<>();

        long accounted() {
            return labelled + deadLetters;
        }

        void add(ClassifiedEvent event, boolean toReview, List<LabelledText> replay, EventKind replayKind) {
            labelled++;
            if (toReview) {
                review++;
            }
            batchSizeSum += event.getBatchSize();
            // Throughput from the job's own clock: output becomes visible in bursts, at each checkpoint's commit.
            firstProcessedAt = Math.min(firstProcessedAt, event.getProcessedAt().toEpochMilli());
            lastProcessedAt = Math.max(lastProcessedAt, event.getProcessedAt().toEpochMilli());
            maxBatch = Math.max(maxBatch, event.getBatchSize());
            for (Prediction prediction : event.getPredictions()) {
                labels.computeIfAbsent(prediction.getTask(), t -> new HashMap<>())
                        .merge(prediction.getLabel(), 1L, Long::sum);
            }
            if (replay != null) {
                String id = event.getSourceId();
                int index = Integer.parseInt(id.substring(id.lastIndexOf('-') + 1)) % replay.size();
                replayChecked++;
                if (replay.get(index).label().equals(event.getPredictions().get(0).getLabel())) {
                    replayAgreed++;
                }
            }
        }

        String line(DemoSettings settings, ClassifierOptions options) {
            double seconds = Math.max(1e-3, (lastProcessedAt - firstProcessedAt) / 1e3);
            return String.format(Locale.ROOT, "Done: %,d events classified in %.1f s at %.0f events/s; %,d labelled (%,d to review),"
                            + " %,d dead letters; mean batch %.1f (max %d, limit %d); models %s; %d slot(s) x %d "
                            + "ONNX Runtime thread(s).", accounted(), seconds, labelled / seconds, labelled, review,
                    deadLetters, labelled == 0 ? 0.0 : (double) batchSizeSum / labelled, maxBatch,
                    options.get(ClassifierOptions.MAX_BATCH_SIZE), options.classifierConfig().modelNames(),
                    options.get(ClassifierOptions.PARALLELISM), options.get(ClassifierOptions.INTRA_OP_THREADS));
        }
    }

    /** Command-line settings of the demo. */
    static final class DemoSettings {
        static final String USAGE = """
                usage: java -jar job/target/stream-classifier.jar demo [options]
                  --events N          how many events to produce, then stop (default 3000)
                  --rate N            events per second to produce; 0 = as fast as possible (default 0)
                  --data FILE         replay a text,label CSV or JSONL file instead of the sample events
                  --data-kind KIND    what the replayed texts are: ticket, email or chat (default ticket)
                  --batch N           classifier.batch.max-size (default 32)
                  --parallelism N     decode/classify/write parallelism (default: the number of cores)
                  --threads N         ONNX Runtime intra-op threads per model call (default 1)
                  --ui-port N         Flink web UI port (default 8081; another free port if taken)
                  --JOB-OPTION VALUE  any job option, e.g. --classifier.batch.max-delay 20ms""";

        int events = 3000;
        int rate;
        Path dataFile;
        EventKind dataKind = EventKind.TICKET;
        int uiPort = 8081;
        final Map<String, String> jobOptions = new HashMap<>();
        private List<LabelledText> replay;

        static DemoSettings parse(String[] args) {
            DemoSettings settings = new DemoSettings();
            for (int i = 0; i < args.length; i++) {
                String key = args[i];
                if (!key.startsWith("--") || i + 1 >= args.length) {
                    throw new IllegalArgumentException("expected --option value, got '" + key + "'");
                }
                String value = args[++i];
                switch (key) {
                    case "--events" -> settings.events = positive(key, value);
                    case "--rate" -> settings.rate = Integer.parseInt(value);
                    case "--data" -> settings.dataFile = Path.of(value);
                    case "--data-kind" -> settings.dataKind = EventKind.valueOf(value.toUpperCase(Locale.ROOT));
                    case "--ui-port" -> settings.uiPort = positive(key, value);
                    case "--batch" -> settings.jobOptions.put(ClassifierOptions.MAX_BATCH_SIZE.key(), value);
                    case "--parallelism" -> settings.jobOptions.put(ClassifierOptions.PARALLELISM.key(), value);
                    case "--threads" -> settings.jobOptions.put(ClassifierOptions.INTRA_OP_THREADS.key(), value);
                    default -> settings.jobOptions.put(key.substring(2), value);
                }
            }
            if (settings.dataFile != null && !Files.isRegularFile(settings.dataFile)) {
                throw new IllegalArgumentException("--data " + settings.dataFile + " does not exist");
            }
            return settings;
        }

        private static int positive(String key, String value) {
            int number = Integer.parseInt(value);
            if (number < 1) {
                throw new IllegalArgumentException(key + " must be at least 1");
            }
            return number;
        }

        List<LabelledText> replay() {
            if (dataFile != null && replay == null) {
                try {
                    replay = LabelledText.read(dataFile, Map.of());
                    replay.removeIf(row -> row.text().isBlank());
                } catch (IOException e) {
                    throw new IllegalArgumentException("Cannot read --data " + dataFile + ": " + e.getMessage(), e);
                }
                if (replay.isEmpty()) {
                    throw new IllegalArgumentException("--data " + dataFile + " holds no rows");
                }
            }
            return replay;
        }

        ClassifierOptions jobOptions(String bootstrap) {
            Configuration configuration = new Configuration();
            configuration.set(ClassifierOptions.CHECKPOINT_INTERVAL, Duration.ofSeconds(1));
            configuration.set(ClassifierOptions.TRANSACTIONAL_ID_PREFIX, "demo");
            jobOptions.forEach(configuration::setString);
            configuration.set(ClassifierOptions.BOOTSTRAP_SERVERS, bootstrap);
            return ClassifierOptions.of(configuration);
        }
    }
}
