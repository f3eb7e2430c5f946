package dev.streamclassifier.job;

import dev.streamclassifier.job.classify.ClassifierOpener;
import dev.streamclassifier.job.classify.FaultyClassifiers;
import dev.streamclassifier.job.config.JobConfig;
import dev.streamclassifier.job.config.JobOptions;
import dev.streamclassifier.job.decode.InputDecoder;
import dev.streamclassifier.job.event.EventKind;
import dev.streamclassifier.job.event.RawRecord;
import dev.streamclassifier.job.kafka.KafkaSources;
import dev.streamclassifier.job.sink.OutputSink;
import dev.streamclassifier.schemas.ClassifiedEvent;
import dev.streamclassifier.schemas.Prediction;
import dev.streamclassifier.testkit.KafkaClients;
import dev.streamclassifier.testkit.SampleEvents;
import dev.streamclassifier.udf.BatchClassifier;
import dev.streamclassifier.udf.BatchShape;
import dev.streamclassifier.udf.ClassScores;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.checkpoint.CheckpointStatsCounts;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.ToLongFunction;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Five different failures in one run of the job on a real broker: a crash in the classify operator, a failure right
 * after a checkpoint completed (before or while the sink commits), the loss of the TaskManager, a broker restart and a
 * checkpoint that times out. Oracle: the read_committed read-back holds every input exactly once, on the right topic,
 * with the label the model gives that text on its own.
 */
class FaultSuiteITCase {
    private static final Logger LOG = LoggerFactory.getLogger(FaultSuiteITCase.class);
    private static final String KEY = "fault-suite";
    private static final int EVENTS_PER_KIND = 2000;
    private static final long CHECKPOINT_TIMEOUT_MS = 10_000;

    @RegisterExtension
    static final MiniClusterExtension FLINK = KafkaExtension.flinkMiniCluster();

    @RegisterExtension
    static final KafkaExtension KAFKA = new KafkaExtension();

    @Test
    void fiveKindsOfFailureLoseAndDuplicateNothing(@InjectMiniCluster MiniCluster miniCluster) throws Exception {
        // Its classifiers inject faults: they must not be shared with (or taken from) another job in this JVM.
        Configuration options = ItOptions.of(KAFKA.kafka(), "faults")
                .set(JobOptions.SHARE_SESSION, false);
        ItOptions.createTopics(KAFKA.kafka(), options);
        SampleEvents samples = new SampleEvents(21);
        Map<String, String> textById = new HashMap<>();
        Map<String, EventKind> kindById = new HashMap<>();
        List<byte[]> tickets = new ArrayList<>();
        List<byte[]> chats = new ArrayList<>();
        for (int i = 0; i < EVENTS_PER_KIND; i++) {
            var ticket = samples.ticket("t-" + i);
            var chat = samples.chat("c-" + i);
            tickets.add(i % 2 == 0 ? samples.avro(ticket) : SampleEvents.json(ticket));
            chats.add(i % 2 == 0 ? samples.avro(chat) : SampleEvents.json(chat));
            textById.put(ticket.getId(), InputDecoder.join(ticket.getSubject(), ticket.getDescription()));
            textById.put(chat.getId(), chat.getText());
            kindById.put(ticket.getId(), EventKind.TICKET);
            kindById.put(chat.getId(), EventKind.CHAT);
        }
        String bootstrap = KAFKA.kafka().bootstrapServers();
        KafkaClients.produce(bootstrap, options.get(JobOptions.TICKETS_TOPIC), tickets);
        KafkaClients.produce(bootstrap, options.get(JobOptions.CHATS_TOPIC), chats);

        JobConfig config = JobConfig.from(options);
        StreamExecutionEnvironment env = ItOptions.restartingEnvironment(config, 100, Duration.ofMillis(500));
        // Long enough for a restored job's first checkpoint: with unaligned checkpoints it completes only after the
        // in-flight records stored in the last one were classified again, which takes seconds on a slow host; a
        // shorter timeout made the job restart from the same checkpoint again and again.
        env.getCheckpointConfig().setCheckpointTimeout(CHECKPOINT_TIMEOUT_MS);
        env.getCheckpointConfig().setTolerableCheckpointFailureNumber(0);
        // Unbounded, as in production: the test ends the job once the read-back is complete.
        KafkaSources sources = new KafkaSources(config.sources());
        Faults.reset();
        FaultyClassifiers.CRASH_NEXT_CALL.put(KEY, new AtomicBoolean());
        ClassifierJob.buildPipeline(env, config, kind -> throttle(sources.read(env, kind), kind),
                OutputSink.create(config.sink()), FaultyClassifiers.opener(KEY));
        JobClient job = env.executeAsync("fault-suite");
        JobID jobId = job.getJobID();

        Map<String, Long> injectedAt = new LinkedHashMap<>();
        ItOptions.awaitNewCheckpoints(miniCluster, jobId, 2);
        inject(injectedAt, "classify operator crash", () -> awaitConsumed(FaultyClassifiers.CRASH_NEXT_CALL.get(KEY)));
        ItOptions.awaitNewCheckpoints(miniCluster, jobId, 2);
        inject(injectedAt, "failure after checkpoint, before commit", () -> awaitConsumed(Faults.arm("commit")));
        ItOptions.awaitNewCheckpoints(miniCluster, jobId, 2);
        inject(injectedAt, "task manager lost", () -> {
            miniCluster.terminateTaskManager(0).get(60, TimeUnit.SECONDS);
            miniCluster.startTaskManager();
        });
        ItOptions.awaitNewCheckpoints(miniCluster, jobId, 2);
        inject(injectedAt, "broker restart", KAFKA.kafka()::restartBrokers);
        ItOptions.awaitNewCheckpoints(miniCluster, jobId, 2);
        long failedBefore = failedCheckpoints(miniCluster, jobId);
        inject(injectedAt, "checkpoint timeout", () -> awaitConsumed(Faults.arm("slow-snapshot")));
        Faults.ALL_INJECTED.set(true);
        awaitAllOutputs(bootstrap, textById.size());
        assertThat(failedCheckpoints(miniCluster, jobId))
                .as("the stalled snapshot made a checkpoint expire").isGreaterThan(failedBefore);
        // A few more checkpoints: anything still to come (a duplicate, say) would be committed by then.
        ItOptions.awaitNewCheckpoints(miniCluster, jobId, 3);
        job.cancel().get(60, TimeUnit.SECONDS);

        List<ClassifiedEvent> routed = KafkaClients.readClassified(bootstrap, "routing-faults");
        List<ClassifiedEvent> moderated = KafkaClients.readClassified(bootstrap, "moderation-faults");
        List<ClassifiedEvent> reviewed = KafkaClients.readClassified(bootstrap, "review-faults");
        List<ClassifiedEvent> all = new ArrayList<>(routed);
        all.addAll(moderated);
        all.addAll(reviewed);
        Map<String, Long> counts = KafkaClients.countById(all);
        Set<String> lost = new HashSet<>(textById.keySet());
        lost.removeAll(counts.keySet());
        long duplicated = counts.values().stream().filter(n -> n > 1).count();
        int wrongTopic = 0;
        for (ClassifiedEvent event : routed) {
            wrongTopic += kindById.get(event.getSourceId()) == EventKind.CHAT || event.getNeedsReview() ? 1 : 0;
        }
        for (ClassifiedEvent event : moderated) {
            wrongTopic += kindById.get(event.getSourceId()) != EventKind.CHAT || event.getNeedsReview() ? 1 : 0;
        }
        for (ClassifiedEvent event : reviewed) {
            wrongTopic += event.getNeedsReview() ? 0 : 1;
        }
        LabelCheck labels = countWrongLabels(all, textById);
        int wrongLabel = labels.wrong();
        LOG.info("fault suite: {} inputs, {} failures injected {}, {} outputs, lost {}, duplicated {}, wrong topic {}, "
                        + "wrong label {}", textById.size(), injectedAt.size(), injectedAt.keySet(), all.size(),
                lost.size(), duplicated, wrongTopic, wrongLabel);

        assertThat(injectedAt).hasSize(5);
        assertThat(lost).as("lost").isEmpty();
        assertThat(duplicated).as("duplicated").isZero();
        assertThat(wrongTopic).as("on the wrong topic").isZero();
        assertThat(wrongLabel).as("labelled differently from the model on that text alone").isZero();
        assertThat(labels.checked()).as("events whose label was checked (else the check above proves nothing)")
                .isGreaterThan(all.size() / 2);
    }

    /** How many events had a clear enough reference label to be checked, and how many of those got another. */
    private record LabelCheck(int checked, int wrong) {}

    /**
     * The label each event got must be the one the model gives its text on its own. The int8 encoder quantizes
     * activations per batch (dynamic quantization), so a text's scores move with its batch mates: seen here, "shut up
     * you stupid idiot, nobody asked you" can be safe alone and toxic in a batch of 32, and the fine-tuned
     * ticket-routing can call "Card problem / How do I verify my identity? ..." card_not_working alone and
     * unable_to_verify_identity in a batch. So only texts whose own top score leads the runner-up by 0.6 or more are
     * held to their label.
     */
    private static LabelCheck countWrongLabels(List<ClassifiedEvent> events, Map<String, String> textById)
            throws Exception {
        Map<String, Map<String, ClassScores>> reference = new HashMap<>();
        BatchShape oneByOne = TestConfigs.batch(1, Duration.ofMillis(1)).shape();
        int wrong = 0;
        int checkedLabels = 0;
        for (String model : List.of("ticket-routing", "chat-moderation")) {
            try (BatchClassifier classifier = ClassifierOpener.MODELS.open(model, TestConfigs.models(), oneByOne)) {
                Map<String, ClassScores> byText = new HashMap<>();
                for (String text : new HashSet<>(textById.values())) {
                    byText.put(text, classifier.classify(List.of(text)).get(0));
                }
                reference.put(model, byText);
            }
        }
        for (ClassifiedEvent event : events) {
            Prediction prediction = event.getPredictions().get(0);
            ClassScores expected = reference.get(prediction.getModelName()).get(textById.get(event.getSourceId()));
            float[] sorted = expected.probabilities().clone();
            java.util.Arrays.sort(sorted);
            boolean clear = sorted[sorted.length - 1] - sorted[sorted.length - 2] >= 0.6f;
            checkedLabels += clear ? 1 : 0;
            if (clear && !expected.bestLabel().equals(prediction.getLabel())) {
                wrong++;
                LOG.warn("{} '{}': got {} ({}) in a batch of {}, alone {} ({})", event.getSourceId(),
                        textById.get(event.getSourceId()), prediction.getLabel(), prediction.getScore(),
                        event.getBatchSize(), expected.bestLabel(), expected.bestScore());
            }
        }
        LOG.info("labels held to the model's own answer: {} of {} events", checkedLabels, events.size());
        return new LabelCheck(checkedLabels, wrong);
    }

    private static List<ClassifiedEvent> readAll(String bootstrap) throws Exception {
        List<ClassifiedEvent> all = new ArrayList<>();
        for (String topic : List.of("routing-faults", "moderation-faults", "review-faults")) {
            all.addAll(KafkaClients.readClassified(bootstrap, topic));
        }
        return all;
    }

    private static void awaitAllOutputs(String bootstrap, int expected) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
        int seen = 0;
        while (System.nanoTime() < deadline) {
            seen = KafkaClients.countById(readAll(bootstrap)).size();
            if (seen >= expected) {
                return;
            }
            Thread.sleep(1_000);
        }
        throw new AssertionError("only " + seen + " of " + expected + " inputs came out within 4 minutes");
    }

    private interface Fault {
        void inject() throws Exception;
    }

    private static void inject(Map<String, Long> injectedAt, String name, Fault fault) throws Exception {
        LOG.info("injecting: {}", name);
        fault.inject();
        injectedAt.put(name, System.currentTimeMillis());
    }

    private static void awaitConsumed(AtomicBoolean armed) throws InterruptedException {
        armed.set(true);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (armed.get()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("an armed fault never fired");
            }
            Thread.sleep(20);
        }
    }

    private static long failedCheckpoints(MiniCluster miniCluster, JobID jobId) throws Exception {
        return checkpoints(miniCluster, jobId, CheckpointStatsCounts::getNumberOfFailedCheckpoints);
    }

    private static long checkpoints(MiniCluster miniCluster, JobID jobId, ToLongFunction<CheckpointStatsCounts> count)
            throws Exception {
        var stats = miniCluster.getExecutionGraph(jobId).get(30, TimeUnit.SECONDS).getCheckpointStatsSnapshot();
        return stats == null ? 0 : count.applyAsLong(stats.getCounts());
    }

    private static DataStream<RawRecord> throttle(DataStream<RawRecord> input, EventKind kind) {
        return input.map(new Faults()).name("faults " + kind).uid("faults-" + kind);
    }

    /**
     * Slows the input down while faults are still to come (so the stream outlasts them), fails once right after a
     * checkpoint completed when armed with "commit", and stalls a snapshot past the checkpoint timeout when armed with
     * "slow-snapshot".
     */
    static final class Faults extends RichMapFunction<RawRecord, RawRecord>
            implements CheckpointListener, CheckpointedFunction {
        static final Map<String, AtomicBoolean> ARMED = new ConcurrentHashMap<>();
        static final AtomicBoolean ALL_INJECTED = new AtomicBoolean();
        static final AtomicInteger FIRED = new AtomicInteger();

        static void reset() {
            ARMED.clear();
            ALL_INJECTED.set(false);
            FIRED.set(0);
        }

        static AtomicBoolean arm(String name) {
            return ARMED.computeIfAbsent(name, n -> new AtomicBoolean());
        }

        @Override
        public RawRecord map(RawRecord record) throws Exception {
            if (!ALL_INJECTED.get()) {
                // ~60 events/s per kind, ~125/s into the one classify slot: under the ~200/s it classifies on a slow
                // host, so the records in flight (and with them the channel state a restore replays) stay few.
                Thread.sleep(16);
            }
            return record;
        }

        @Override
        public void notifyCheckpointComplete(long checkpointId) {
            if (arm("commit").compareAndSet(true, false)) {
                FIRED.incrementAndGet();
                throw new IllegalStateException("injected: failure after checkpoint " + checkpointId + " completed");
            }
        }

        @Override
        public void snapshotState(FunctionSnapshotContext context) throws Exception {
            if (arm("slow-snapshot").compareAndSet(true, false)) {
                FIRED.incrementAndGet();
                Thread.sleep(CHECKPOINT_TIMEOUT_MS + 2_000);
            }
        }

        @Override
        public void initializeState(FunctionInitializationContext context) {
            // stateless: implemented only to hook into snapshots
        }
    }
}
