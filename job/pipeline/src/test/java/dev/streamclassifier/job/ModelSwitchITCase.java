package dev.streamclassifier.job;

import dev.streamclassifier.job.classify.ClassifierOpener;
import dev.streamclassifier.job.config.JobConfig;
import dev.streamclassifier.job.config.JobOptions;
import dev.streamclassifier.job.event.RawRecord;
import dev.streamclassifier.job.kafka.KafkaSources;
import dev.streamclassifier.job.sink.OutputSink;
import dev.streamclassifier.schemas.ClassifiedEvent;
import dev.streamclassifier.schemas.ModelEvent;
import dev.streamclassifier.schemas.SingleObjectCodec;
import dev.streamclassifier.testkit.KafkaClients;
import dev.streamclassifier.testkit.SampleEvents;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.executiongraph.AccessExecutionVertex;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Model versions switched while events flow, on a real broker, the real chat-moderation model and a mini-cluster at
 * parallelism 2: every event comes out exactly once, a conversation's events go from the old version to the new one
 * and never back, every instance serves the new version within {@link #OVERLAP} of the update, and the job never
 * restarts. Bad versions are rejected while the active one serves, and a failure after a switch restores the new one.
 */
class ModelSwitchITCase {
    private static final String MODEL = "chat-moderation";
    /** The overlap allowed: events produced this long after an update may still get the old version, none later. */
    private static final Duration OVERLAP = Duration.ofSeconds(10);
    private static final String POISON = "<<fail the source once>>";
    private static final Map<String, AtomicBoolean> FAILED = new ConcurrentHashMap<>();

    @RegisterExtension
    static final MiniClusterExtension FLINK = KafkaExtension.flinkMiniCluster();

    @RegisterExtension
    static final KafkaExtension KAFKA = new KafkaExtension();

    @TempDir
    static Path storeDir;

    private static TestModelStore store;
    private static String startingVersion;

    @BeforeAll
    static void fillStore() throws IOException {
        store = new TestModelStore(storeDir);
        store.add(MODEL, "2.0.0");
        store.addCorrupt(MODEL, "corrupt");
        store.add(MODEL, "relabelled", manifest -> manifest.labels = List.of("ok", "toxic", "spam"));
        startingVersion = dev.streamclassifier.udf.ModelDirectory.locate(MODEL, null).readManifest().version;
    }

    /** Fails the stream once at the poison record: a task failure at a chosen point. */
    private static final class FailOnPoison implements MapFunction<RawRecord, RawRecord> {
        private final String key;

        FailOnPoison(String key) {
            this.key = key;
        }

        @Override
        public RawRecord map(RawRecord record) {
            if (record.value != null && new String(record.value, StandardCharsets.UTF_8).contains(POISON)
                    && FAILED.computeIfAbsent(key, k -> new AtomicBoolean()).compareAndSet(false, true)) {
                throw new IllegalStateException("injected failure after the switch");
            }
            return record;
        }
    }

    private static Configuration options(String suffix) throws Exception {
        Configuration options = ItOptions.of(KAFKA.kafka(), suffix)
                .set(JobOptions.PARALLELISM, 2)
                .set(JobOptions.CHAT_TASKS, List.of("moderation"))
                .set(JobOptions.EMAIL_TASKS, List.of())
                .set(JobOptions.TICKET_TASKS, List.of())
                .set(JobOptions.MODEL_STORE, store.uri())
                .set(JobOptions.MODEL_UPDATES_TOPIC, "model-updates-" + suffix)
                .set(JobOptions.MODEL_EVENTS_TOPIC, "model-events-" + suffix);
        JobConfig config = JobConfig.from(options);
        List<String> topics = new ArrayList<>(config.outputTopics());
        topics.add(options.get(JobOptions.CHATS_TOPIC));
        KAFKA.kafka().createTopics(topics, 2);
        KAFKA.kafka().createTopics(List.of(options.get(JobOptions.MODEL_UPDATES_TOPIC)), 1);
        return options;
    }

    private static JobClient start(Configuration options, StreamExecutionEnvironment env, String failKey)
            throws Exception {
        JobConfig config = JobConfig.from(options);
        ClassifierJob.configureEnvironment(env, config.checkpoints());
        KafkaSources sources = new KafkaSources(config.sources());
        ClassifierJob.buildPipeline(env, config, kind -> {
            DataStream<RawRecord> stream = sources.read(env, kind);
            return failKey == null ? stream : stream.map(new FailOnPoison(failKey)).name("fail once");
        }, sources.readModelUpdates(env, options.get(JobOptions.MODEL_UPDATES_TOPIC), null),
                OutputSink.create(config.sink()), ClassifierOpener.MODELS);
        return env.executeAsync("model lifecycle " + options.get(JobOptions.GROUP_ID));
    }

    private static void publish(Configuration options, String json) {
        KafkaClients.produce(KAFKA.kafka().bootstrapServers(), options.get(JobOptions.MODEL_UPDATES_TOPIC),
                List.of(json.getBytes(StandardCharsets.UTF_8)));
    }

    private static String activate(String version) {
        return "{\"model\": \"" + MODEL + "\", \"version\": \"" + version + "\", \"action\": \"activate\"}";
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void aModelSwitchesUnderLoadWithoutARestartAndEveryEventComesOutOnce(@InjectMiniCluster MiniCluster miniCluster)
            throws Exception {
        Configuration options = options("switch");
        JobClient job = start(options, StreamExecutionEnvironment.getExecutionEnvironment(), null);
        int events = 2_400;
        int rate = 100;
        Map<String, Long> producedAt = new HashMap<>();
        long updateAt = 0;
        SampleEvents samples = new SampleEvents(41);
        Map<String, Integer> sequences = new HashMap<>();
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(KafkaClients.client(
                KAFKA.kafka().bootstrapServers()), 5)) {
            long start = System.nanoTime();
            for (int i = 0; i < events; i++) {
                long due = start + TimeUnit.SECONDS.toNanos(1) * i / rate;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                if (i == events / 4) {
                    publish(options, activate("2.0.0"));
                    updateAt = System.currentTimeMillis();
                }
                String conversation = "conv-" + (i % 12);
                String id = conversation + "/" + sequences.merge(conversation, 1, Integer::sum);
                producedAt.put(id, System.currentTimeMillis());
                producer.send(new ProducerRecord<>(options.get(JobOptions.CHATS_TOPIC),
                        conversation.getBytes(StandardCharsets.UTF_8), samples.avro(samples.chat(id))));
            }
        }
        List<ClassifiedEvent> labelled = awaitOutputs(options, events);
        long restarts = restarts(miniCluster, job.getJobID());
        List<ModelEvent> modelEvents = modelEvents(options);
        job.cancel().get();

        assertThat(KafkaClients.countById(labelled)).as("exactly once").hasSize(events)
                .allSatisfy((id, count) -> assertThat(count).as(id).isEqualTo(1));
        assertThat(restarts).as("restarts").isZero();
        assertThat(modelEvents).filteredOn(event -> event.getOutcome().equals("ACTIVE")).hasSize(2)
                .allSatisfy(event -> assertThat(event.getVersion()).isEqualTo("2.0.0"));
        Map<String, TreeMap<Integer, String>> versionsByConversation = new HashMap<>();
        for (ClassifiedEvent event : labelled) {
            String id = event.getSourceId();
            versionsByConversation.computeIfAbsent(id.substring(0, id.indexOf('/')), c -> new TreeMap<>())
                    .put(Integer.parseInt(id.substring(id.indexOf('/') + 1)),
                            event.getPredictions().get(0).getModelVersion());
        }
        versionsByConversation.forEach((conversation, versions) -> {
            List<String> inOrder = new ArrayList<>(versions.values());
            int firstNew = inOrder.indexOf("2.0.0");
            assertThat(firstNew).as("%s reaches the new version", conversation).isPositive();
            assertThat(inOrder.subList(0, firstNew)).as("%s before", conversation).containsOnly(startingVersion);
            assertThat(inOrder.subList(firstNew, inOrder.size())).as("%s never goes back", conversation)
                    .containsOnly("2.0.0");
        });
        long deadline = updateAt + OVERLAP.toMillis();
        assertThat(labelled).filteredOn(event -> producedAt.get(event.getSourceId()) > deadline)
                .as("produced more than %s after the update", OVERLAP).isNotEmpty()
                .allSatisfy(event -> assertThat(event.getPredictions().get(0).getModelVersion()).isEqualTo("2.0.0"));
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void badVersionsAreRejectedAndAFailureAfterASwitchRestoresTheNewVersion(
            @InjectMiniCluster MiniCluster miniCluster) throws Exception {
        Configuration options = options("restore");
        JobClient job = start(options, ItOptions.restartingEnvironment(JobConfig.from(options), 3,
                Duration.ofSeconds(1)), "restore");
        SampleEvents samples = new SampleEvents(43);
        produce(options, samples, "before", 20);
        awaitOutputs(options, 20);

        publish(options, activate("corrupt"));
        publish(options, activate("relabelled"));
        awaitModelEvents(options, event -> event.getOutcome().equals("REJECTED"), 4);
        produce(options, samples, "rejected", 20);
        List<ClassifiedEvent> afterRejections = awaitOutputs(options, 40);

        publish(options, activate("2.0.0"));
        awaitModelEvents(options, event -> event.getOutcome().equals("ACTIVE"), 2);
        ItOptions.awaitNewCheckpoints(miniCluster, job.getJobID(), 2);
        KafkaClients.produce(KAFKA.kafka().bootstrapServers(), options.get(JobOptions.CHATS_TOPIC),
                List.of(SampleEvents.json(samples.chat("poison", POISON))));
        produce(options, samples, "restored", 20);
        List<ClassifiedEvent> all = awaitOutputs(options, 61);
        long restarts = restarts(miniCluster, job.getJobID());
        List<ModelEvent> modelEvents = modelEvents(options);
        job.cancel().get();

        assertThat(modelEvents).filteredOn(event -> event.getOutcome().equals("REJECTED"))
                .extracting(ModelEvent::getReason)
                .anySatisfy(reason -> assertThat(reason).contains("sha256"))
                .anySatisfy(reason -> assertThat(reason).contains("labels differ"));
        assertThat(afterRejections).filteredOn(event -> event.getSourceId().startsWith("rejected"))
                .hasSize(20).allSatisfy(event -> assertThat(event.getPredictions().get(0).getModelVersion())
                        .as("the active version kept serving").isEqualTo(startingVersion));
        assertThat(restarts).as("the injected failure restarted the job").isPositive();
        assertThat(all).filteredOn(event -> event.getSourceId().startsWith("restored")).hasSize(20)
                .allSatisfy(event -> assertThat(event.getPredictions().get(0).getModelVersion())
                        .as("restored with the new version; the update itself was not read again")
                        .isEqualTo("2.0.0"));
        assertThat(KafkaClients.countById(all)).allSatisfy((id, count) -> assertThat(count).as(id).isEqualTo(1));
    }

    private static void produce(Configuration options, SampleEvents samples, String prefix, int count) {
        List<byte[]> values = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            values.add(samples.avro(samples.chat(prefix + "-" + i)));
        }
        KafkaClients.produce(KAFKA.kafka().bootstrapServers(), options.get(JobOptions.CHATS_TOPIC), values);
    }

    /** The labelled events once at least {@code count} are out, {@code read_committed}. */
    private static List<ClassifiedEvent> awaitOutputs(Configuration options, int count) throws Exception {
        String bootstrap = KAFKA.kafka().bootstrapServers();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (true) {
            List<ClassifiedEvent> labelled = Stream.of(options.get(JobOptions.MODERATION_TOPIC),
                    options.get(JobOptions.REVIEW_TOPIC))
                    .flatMap(topic -> KafkaClients.readClassified(bootstrap, topic).stream()).toList();
            if (labelled.size() >= count) {
                return labelled;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("only " + labelled.size() + " of " + count + " events came out");
            }
            Thread.sleep(500);
        }
    }

    private static List<ModelEvent> modelEvents(Configuration options) {
        SingleObjectCodec<ModelEvent> codec = SingleObjectCodec.of(ModelEvent.getClassSchema());
        return KafkaClients.readCommitted(KAFKA.kafka().bootstrapServers(),
                options.get(JobOptions.MODEL_EVENTS_TOPIC)).stream().map(value -> {
                    try {
                        return codec.decode(value);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }).collect(Collectors.toList());
    }

    private static void awaitModelEvents(Configuration options, Predicate<ModelEvent> which, int count)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (modelEvents(options).stream().filter(which).count() < count) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("model events so far: " + modelEvents(options));
            }
            Thread.sleep(500);
        }
    }

    /** The most times any task was redeployed: a restart of the job redeploys every task. */
    private static long restarts(MiniCluster miniCluster, JobID jobId) throws Exception {
        long most = 0;
        for (AccessExecutionVertex vertex : miniCluster.getExecutionGraph(jobId).get(30, TimeUnit.SECONDS)
                .getAllExecutionVertices()) {
            most = Math.max(most, vertex.getCurrentExecutionAttempt().getAttemptNumber());
        }
        return most;
    }
}
