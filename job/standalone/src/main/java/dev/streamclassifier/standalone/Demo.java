package dev.streamclassifier.standalone;

import dev.streamclassifier.job.classify.ModelCheck;
import dev.streamclassifier.job.config.CommandLine;
import dev.streamclassifier.job.config.JobConfig;
import dev.streamclassifier.job.config.JobOptions;
import dev.streamclassifier.job.event.EventKind;
import dev.streamclassifier.job.lifecycle.ModelCommands;
import dev.streamclassifier.job.lifecycle.ModelStore;
import dev.streamclassifier.schemas.ClassifiedEvent;
import dev.streamclassifier.schemas.ModelAction;
import dev.streamclassifier.schemas.ModelEvent;
import dev.streamclassifier.schemas.ModelUpdate;
import dev.streamclassifier.schemas.Email;
import dev.streamclassifier.schemas.SingleObjectCodec;
import dev.streamclassifier.testkit.EmbeddedKafka;
import dev.streamclassifier.testkit.KafkaClients;
import dev.streamclassifier.testkit.SampleEvents;
import dev.streamclassifier.testkit.TopicReader;
import dev.streamclassifier.udf.LabelledText;
import dev.streamclassifier.udf.ModelDirectory;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The embedded demo: starts a Kafka broker and a Flink mini-cluster in this JVM, produces a mix of emails, tickets and
 * chat messages (or replays a {@code text,label} file), runs the job on them and shows what happens, live: events/s,
 * label counts, a few labelled examples, dead letters. Ends by itself once every event is accounted for.
 */
public final class Demo {
    /** The version {@code --switch-model} publishes. */
    static final String SWITCHED_VERSION = "demo-2";
    private static final String SWITCHED_MODEL = "chat-moderation";
    /** How long a finished run waits for the switch's outcomes: a load, its checks and one more checkpoint. */
    private static final Duration SWITCH_WAIT = Duration.ofSeconds(60);
    private final DemoSettings settings;
    private final PrintStream out;
    private final AtomicLong produced = new AtomicLong();
    private final AtomicBoolean producing = new AtomicBoolean(true);
    private final AtomicBoolean stopped = new AtomicBoolean();

    Demo(DemoSettings settings, PrintStream out) {
        this.settings = settings;
        this.out = out;
    }

    public static void main(String[] args) throws Exception {
        DemoSettings settings;
        try {
            CommandLine line = CommandLine.parse(args, Set.of());
            if (line.takeSwitch("help")) {
                System.out.println(DemoSettings.USAGE);
                return;
            }
            settings = DemoSettings.parse(line);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage() + "\n\n" + DemoSettings.USAGE);
            System.exit(2);
            return;
        }
        Demo demo = new Demo(settings, System.out);
        Thread hook = new Thread(() -> demo.stopped.set(true));
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            demo.run();
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(2);
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // Ctrl-C: the JVM is already on its way out
        }
        System.exit(0);
    }

    /**
     * Runs the demo to its end and prints its last line.
     *
     * @return what the demo saw
     * @throws IllegalArgumentException for job options that do not validate
     */
    DemoSummary run() throws Exception {
        System.setProperty("ai.djl.offline", "true");
        long startNanos = System.nanoTime();
        out.println("stream-classifier demo: starting an in-process Kafka broker (KRaft) ...");
        try (EmbeddedKafka kafka = LocalJob.startKafkaQuietly()) {
            settings.jobOptions().set(JobOptions.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
            if (settings.switchModelAt() > 0) {
                fillModelStore();
            }
            JobConfig config = LocalJob.config(settings.jobOptions());
            List<String> topics = new ArrayList<>(config.sources().topics().values());
            topics.addAll(config.outputTopics());
            kafka.createTopics(topics, 2);
            if (config.modelUpdates() != null) {
                // Updates apply in offset order: one partition.
                kafka.createTopics(List.of(config.modelUpdates().updatesTopic()), 1);
            }
            out.printf("Kafka is up at %s; topics: %s%n", kafka.bootstrapServers(), topics);
            out.println("Checking the models ...");
            ModelCheck.check(config.classify());
            int uiPort = LocalJob.freePort(settings.uiPort());
            JobClient job = LocalJob.start(config, "stream-classifier demo", uiPort);
            out.printf("Flink mini-cluster is running the job %s. Web UI: http://localhost:%d%n", job.getJobID(),
                    uiPort);
            out.printf("Producing %,d events%s ... (Ctrl-C stops early)%n%n", settings.events(),
                    settings.dataFile() == null ? " (emails, tickets, chats; Avro and JSON; a few corrupt)"
                            : " from " + settings.dataFile());
            Thread producer = new Thread(() -> produce(kafka.bootstrapServers(), config), "demo-producer");
            producer.setDaemon(true);
            producer.start();
            DemoSummary summary = watch(kafka.bootstrapServers(), config, startNanos);
            producing.set(false);
            job.cancel().get();
            out.println();
            out.println(summary.line(config));
            return summary;
        }
    }

    private void produce(String bootstrap, JobConfig config) {
        SampleEvents samples = new SampleEvents(42);
        Random random = new Random(42);
        Map<EventKind, String> topics = config.sources().topics();
        long intervalNanos = settings.rate() > 0 ? 1_000_000_000L / settings.rate() : 0;
        long next = System.nanoTime();
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(bootstrap)) {
            for (int i = 0; i < settings.events() && producing.get() && !stopped.get(); i++) {
                if (i == settings.switchModelAt() && i > 0) {
                    publishSwitch(bootstrap, config);
                }
                producer.send(settings.replay() == null
                        ? sampleRecord(samples, random, topics, i)
                        : replayRecord(samples, topics, settings.replay().get(i % settings.replay().size()), i));
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

    /**
     * A model store for {@code --switch-model}, under {@code model-store.uri} or a temporary directory: the bundled
     * chat-moderation copied as version {@value #SWITCHED_VERSION}. Same weights, new version tag, so the switch shows
     * in the output's model versions and nowhere else.
     */
    private void fillModelStore() throws IOException {
        Configuration options = settings.jobOptions();
        if (!options.contains(JobOptions.MODEL_STORE)) {
            Path root = Files.createTempDirectory("demo-model-store-");
            root.toFile().deleteOnExit();
            options.set(JobOptions.MODEL_STORE, root.toUri().toString());
        }
        ModelStore store = new ModelStore(options.get(JobOptions.MODEL_STORE));
        if (store.versions(SWITCHED_MODEL).contains(SWITCHED_VERSION)) {
            return;
        }
        ModelDirectory copy = ModelDirectory.locate(SWITCHED_MODEL, options.get(JobOptions.MODELS_DIR))
                .copyTo(Files.createTempDirectory("demo-model-"), manifest -> manifest.version = SWITCHED_VERSION);
        store.publish(SWITCHED_MODEL, SWITCHED_VERSION, copy);
    }

    private void publishSwitch(String bootstrap, JobConfig config) {
        ModelUpdate update = ModelUpdate.newBuilder().setModel(SWITCHED_MODEL).setVersion(SWITCHED_VERSION)
                .setAction(ModelAction.ACTIVATE).setRequestedBy("demo").build();
        KafkaClients.produce(bootstrap, config.modelUpdates().updatesTopic(), List.of(ModelCommands.encode(update)));
        out.printf("%n>>> published: activate %s %s; each classify instance loads and checks it, then switches "
                + "between two batches (see the versions line)%n%n", SWITCHED_MODEL, SWITCHED_VERSION);
    }

    private static ProducerRecord<byte[], byte[]> sampleRecord(SampleEvents samples, Random random,
            Map<EventKind, String> topics, int i) {
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

    private ProducerRecord<byte[], byte[]> replayRecord(SampleEvents samples, Map<EventKind, String> topics,
            LabelledText row, int i) {
        String id = settings.dataKind().name().toLowerCase(Locale.ROOT) + "-" + i;
        byte[] value = switch (settings.dataKind()) {
            case TICKET -> samples.avro(samples.ticket(id, row.text()));
            case CHAT -> samples.avro(samples.chat(id, row.text()));
            case EMAIL -> samples.avro(Email.newBuilder(samples.email(id)).setSubject("").setBody(row.text()).build());
        };
        return new ProducerRecord<>(topics.get(settings.dataKind()), key(id), value);
    }

    private static byte[] key(String id) {
        return id.getBytes(StandardCharsets.UTF_8);
    }

    /** Reads the outputs as a downstream consumer would (read_committed) and prints progress once a second. */
    private DemoSummary watch(String bootstrap, JobConfig config, long startNanos) {
        DemoSummary summary = new DemoSummary();
        String deadLetterTopic = config.classify().output().deadLetterTopic();
        String reviewTopic = config.classify().output().reviewTopic();
        SingleObjectCodec<ClassifiedEvent> codec = SingleObjectCodec.of(ClassifiedEvent.getClassSchema());
        SingleObjectCodec<ModelEvent> modelEvents = SingleObjectCodec.of(ModelEvent.getClassSchema());
        Set<String> seen = new HashSet<>();
        long lastPrint = System.nanoTime();
        long lastCount = 0;
        // With --switch-model, the run waits for every classify instance's outcome of the switch, which is committed
        // with the checkpoint after it: a small run can classify everything before the new version has loaded.
        int switchOutcomesExpected = settings.switchModelAt() > 0 && settings.switchModelAt() < settings.events()
                ? config.parallelism().orElse(LocalJob.CORES) : 0;
        int switchOutcomes = 0;
        long outputsDoneAt = 0;
        try (TopicReader reader = TopicReader.fromBeginning(KafkaClients.client(bootstrap), config.outputTopics(),
                true)) {
            while (!stopped.get()) {
                for (ConsumerRecord<byte[], byte[]> record : reader.poll(Duration.ofMillis(200))) {
                    if (record.topic().equals(deadLetterTopic)) {
                        summary.deadLetters++;
                        continue;
                    }
                    if (config.modelUpdates() != null && record.topic().equals(config.modelUpdates().eventsTopic())) {
                        ModelEvent event = modelEvents.decode(record.value());
                        out.printf("%n>>> %s: %s %s %s%s%n%n", event.getInstance(), event.getModel(),
                                event.getVersion(), event.getOutcome(),
                                event.getReason() == null ? "" : " (" + event.getReason() + ")");
                        if (event.getModel().equals(SWITCHED_MODEL) && SWITCHED_VERSION.equals(event.getVersion())) {
                            switchOutcomes++;
                        }
                        continue;
                    }
                    ClassifiedEvent event = codec.decode(record.value());
                    // An event routed to two tasks' topics counts once.
                    if (seen.add(event.getSourceKind() + "/" + event.getSourceId())) {
                        summary.add(event, record.topic(), record.topic().equals(reviewTopic), settings.replay());
                    }
                }
                long now = System.nanoTime();
                boolean outputsDone = !producing.get() && summary.accounted() >= produced.get();
                outputsDoneAt = outputsDone && outputsDoneAt == 0 ? now : outputsDoneAt;
                boolean switchDone = switchOutcomes >= switchOutcomesExpected
                        || outputsDone && now - outputsDoneAt > SWITCH_WAIT.toNanos();
                boolean done = outputsDone && switchDone;
                if (outputsDone && !switchDone && now - lastPrint >= 1_000_000_000L) {
                    out.printf("waiting for the classify instances to report on %s %s (%d of %d) ...%n",
                            SWITCHED_MODEL, SWITCHED_VERSION, switchOutcomes, switchOutcomesExpected);
                    lastPrint = now;
                    continue;
                }
                if (now - lastPrint >= 1_000_000_000L || done) {
                    double seconds = (now - lastPrint) / 1e9;
                    long count = summary.accounted();
                    out.print(summary.status(produced.get(), settings.events(), (count - lastCount) / seconds,
                            (now - startNanos) / 1e9));
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
}
