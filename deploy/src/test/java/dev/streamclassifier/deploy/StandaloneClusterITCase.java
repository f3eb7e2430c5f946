package dev.streamclassifier.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.streamclassifier.job.ClassifierJob;
import dev.streamclassifier.job.ItOptions;
import dev.streamclassifier.job.config.JobOptions;
import dev.streamclassifier.schemas.ClassifiedEvent;
import dev.streamclassifier.schemas.DeadLetter;
import dev.streamclassifier.testkit.EmbeddedKafka;
import dev.streamclassifier.testkit.KafkaClients;
import dev.streamclassifier.testkit.SampleEvents;
import dev.streamclassifier.testkit.TopicReader;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.ZipFile;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The job on a real Flink cluster, the way users deploy it: a JobManager and a TaskManager as separate JVM processes
 * (Flink's runtime jars as their {@code lib/}, ONNX Runtime and DJL there too, the Prometheus reporter as a plugin, the
 * Flink settings of {@code deploy/flink/config.yaml}), the shaded cluster jar uploaded and run through the REST API.
 * Mid-stream the TaskManager process is killed (SIGKILL) and a new one started; a {@code read_committed} read-back must
 * hold every input exactly once. This is the test that catches what a mini-cluster hides: classes missing from the
 * cluster jar or clashing with Flink's, native libraries loaded through the wrong class loader, models read from the
 * job jar through the user-code class loader, and job graphs that do not survive the trip between processes.
 *
 * <p>Runs with failsafe after {@code package} ({@code mvn verify}): it needs the cluster jar and the lib directories
 * the build assembles (see job/pom.xml).
 */
class StandaloneClusterITCase {
    private static final Logger LOG = LoggerFactory.getLogger(StandaloneClusterITCase.class);
    private static final String SUFFIX = "cluster";
    private static final int TICKETS_PER_HALF = 600;
    private static final int CHATS_PER_HALF = 600;
    private static final int CORRUPT_PER_HALF = 10;
    /** Kill the TaskManager once this many outputs are committed: after checkpoints, long before the end. */
    private static final int KILL_AFTER_COMMITTED = 200;

    private static final Path TARGET = Path.of(System.getProperty("java.io.tmpdir"));
    private static EmbeddedKafka kafka;

    @BeforeAll
    static void startKafka() throws Exception {
        // Each run starts clean: a previous run's uploads, blobs and broker logs would pile up under target/.
        deleteRecursively(TARGET.resolve("standalone-cluster-it"));
        kafka = EmbeddedKafka.builder()
                .baseDirectory(Files.createDirectories(TARGET.resolve("standalone-cluster-it/kafka")))
                .start();
    }

    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }

    @AfterAll
    static void stopKafka() throws Exception {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void clusterJarAndFlinkLibKeepTheirSides() throws Exception {
        Path clusterJar = StandaloneFlinkCluster.requireFile("cluster.jar");
        try (ZipFile jar = new ZipFile(clusterJar.toFile())) {
            assertThat(jar.getEntry("dev/streamclassifier/job/ClassifierJob.class")).isNotNull();
            assertThat(jar.getEntry("org/apache/kafka/clients/producer/KafkaProducer.class")).isNotNull();
            assertThat(jar.stream().map(e -> e.getName())
                    .filter(n -> n.startsWith("ai/onnxruntime/") || n.startsWith("ai/djl/")
                            || n.startsWith("org/apache/flink/runtime/") || n.startsWith("org/apache/flink/connector/base/")))
                    .as("the cluster jar leaves ONNX Runtime, DJL and Flink itself to the cluster's lib/").isEmpty();
        }
        List<String> nativeLib = jarNames(StandaloneFlinkCluster.requireFile("cluster.native-lib"));
        assertThat(nativeLib).anyMatch(n -> n.startsWith("onnxruntime")).anyMatch(n -> n.startsWith("tokenizers"));
        for (Path jarPath : jars(StandaloneFlinkCluster.requireFile("cluster.flink-lib"))) {
            try (ZipFile jar = new ZipFile(jarPath.toFile())) {
                assertThat(jar.stream().map(e -> e.getName()).filter(n -> n.startsWith("org/apache/kafka/")
                        || n.startsWith("org/apache/avro/") || n.startsWith("com/fasterxml/jackson/")
                        || n.startsWith("dev/streamclassifier/") || n.startsWith("ai/")))
                        .as("Flink's lib/ must not hide what the cluster jar has to bring: " + jarPath.getFileName())
                        .isEmpty();
            }
        }
    }

    @Test
    void everyInputExactlyOnceAfterTheTaskManagerProcessIsKilled() throws Exception {
        Configuration options = ItOptions.of(kafka, SUFFIX)
                .set(JobOptions.CHECKPOINT_INTERVAL, Duration.ofSeconds(1));
        ItOptions.createTopics(kafka, options);
        Inputs inputs = new Inputs(options);
        String bootstrap = kafka.bootstrapServers();
        inputs.produceHalf(bootstrap, 0);

        Path home = TARGET.resolve("standalone-cluster-it/flink");
        Path checkpoints = Files.createDirectories(home.resolve("checkpoints"));
        Map<String, String> overrides = Map.of(
                "execution.checkpointing.dir", checkpoints.toUri().toString(),
                "execution.checkpointing.savepoint-dir", home.resolve("savepoints").toUri().toString(),
                "jobmanager.memory.process.size", "1g",
                // Notice a dead TaskManager in seconds, not the default 50 s.
                "heartbeat.interval", "1000",
                "heartbeat.timeout", "5000");
        Map<String, String> taskManagerEnv = Map.of(
                "DJL_OFFLINE", "true",
                "DJL_CACHE_DIR", Files.createDirectories(home.resolve("djl-cache")).toString());
        int jobManagerMetrics = StandaloneFlinkCluster.freePort();
        long started = System.nanoTime();
        try (StandaloneFlinkCluster cluster = new StandaloneFlinkCluster(home, deployDir().resolve("flink/config.yaml"),
                overrides, List.of(StandaloneFlinkCluster.requireFile("cluster.flink-lib"),
                        StandaloneFlinkCluster.requireFile("cluster.native-lib")),
                StandaloneFlinkCluster.requireFile("cluster.plugins"))) {
            // The JobManager runs main(), whose start-up checks open the models: it needs DJL offline too.
            cluster.startJobManager(taskManagerEnv, jobManagerMetrics);
            int firstMetrics = StandaloneFlinkCluster.freePort();
            Process first = cluster.startTaskManager(taskManagerEnv, firstMetrics);
            StandaloneFlinkCluster.waitFor("a registered TaskManager", Duration.ofSeconds(60),
                    () -> cluster.registeredTaskManagers() == 1);

            String jarId = cluster.uploadJar(StandaloneFlinkCluster.requireFile("cluster.jar"));
            String jobId = cluster.runJar(jarId, ClassifierJob.class.getName(), programArgs(options), 1);
            LOG.info("Submitted job {} from jar {}", jobId, jarId);
            StandaloneFlinkCluster.waitFor("the job running on every vertex", Duration.ofSeconds(60),
                    () -> cluster.fullyRunning(jobId));

            CommittedCount committed = new CommittedCount(bootstrap, inputs.outputTopics());
            StandaloneFlinkCluster.waitFor(KILL_AFTER_COMMITTED + " committed outputs", Duration.ofSeconds(90), () -> {
                StandaloneFlinkCluster.assertAlive(first, "taskmanager-1");
                return committed.poll() >= KILL_AFTER_COMMITTED;
            });
            String metrics = cluster.scrapePrometheus(firstMetrics);

            StandaloneFlinkCluster.kill(first);
            long killedAt = System.nanoTime();
            int committedAtKill = committed.poll();
            LOG.info("Killed the TaskManager (pid {}) with {} outputs committed", first.pid(), committedAtKill);
            inputs.produceHalf(bootstrap, 1);
            Process second = cluster.startTaskManager(taskManagerEnv, StandaloneFlinkCluster.freePort());
            StandaloneFlinkCluster.waitFor("every input classified after the restart", Duration.ofSeconds(150), () -> {
                StandaloneFlinkCluster.assertAlive(second, "taskmanager-2");
                return committed.poll() >= inputs.expectedIds.size();
            });
            long recoveredAfterMs = (System.nanoTime() - killedAt) / 1_000_000;
            JsonNode checkpointStats = cluster.get("/jobs/" + jobId + "/checkpoints");
            JsonNode exceptions = cluster.get("/jobs/" + jobId + "/exceptions");
            cluster.cancel(jobId);
            committed.close();

            Outcome outcome = inputs.readBack(bootstrap);
            LOG.info("Standalone cluster: inputs {} ({} labelled, {} corrupt), TaskManagers killed 1, outputs {}, "
                            + "dead letters {}, lost {}, duplicated {}, committed at kill {}, all committed {} ms after "
                            + "the kill, {} checkpoints completed, restored from {}, whole run {} s",
                    inputs.expectedIds.size() + inputs.expectedCorrupt.size(), inputs.expectedIds.size(),
                    inputs.expectedCorrupt.size(), outcome.outputs, outcome.deadLetters, outcome.lost.size(),
                    outcome.duplicated.size(), committedAtKill, recoveredAfterMs,
                    checkpointStats.path("counts").path("completed").asInt(),
                    checkpointStats.path("latest").path("restored").path("external_path").asText("nothing"),
                    (System.nanoTime() - started) / 1_000_000_000);

            assertThat(committedAtKill).as("outputs committed before the kill").isGreaterThanOrEqualTo(
                    KILL_AFTER_COMMITTED).isLessThan(inputs.expectedIds.size() / 2);
            assertThat(exceptions.path("exceptionHistory").path("entries").size())
                    .as("the job saw the TaskManager die and restarted").isGreaterThanOrEqualTo(1);
            assertThat(checkpointStats.path("latest").path("restored").isObject())
                    .as("the job resumed from a checkpoint").isTrue();
            assertThat(outcome.lost).as("lost inputs").isEmpty();
            assertThat(outcome.duplicated).as("duplicated inputs").isEmpty();
            assertThat(outcome.outputs).isEqualTo(inputs.expectedIds.size());
            assertThat(outcome.lostDeadLetters).as("lost dead letters").isEmpty();
            assertThat(outcome.deadLetters).as("dead letters, each once").isEqualTo(inputs.expectedCorrupt.size());
            assertThat(metrics).as("the job's metrics on the TaskManager's Prometheus endpoint")
                    .contains("flink_taskmanager_job_task_operator_classifierRecordsIn")
                    .contains("flink_taskmanager_job_task_operator_inferenceMicros");
            // Passed: keep the logs, drop the ~300 MB of uploaded jar, blobs and extracted native libraries.
            cluster.close();
            deleteRecursively(home.resolve("uploads"));
            deleteRecursively(home.resolve("tmp"));
        } catch (Throwable t) {
            LOG.error("Standalone cluster test failed; logs in {}. JobManager log ends:\n{}", home.resolve("log"),
                    tailOf(home.resolve("log/jobmanager.log")));
            throw t;
        }
    }

    private static String tailOf(Path log) {
        try {
            List<String> lines = Files.exists(log) ? Files.readAllLines(log) : List.of();
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e + ")";
        }
    }

    private static List<String> programArgs(Configuration options) {
        List<String> args = new ArrayList<>();
        new TreeMap<>(options.toMap()).forEach((key, value) -> {
            args.add("--" + key);
            args.add(value);
        });
        return args;
    }

    static Path deployDir() {
        Path fromModule = Path.of("..", "deploy");
        return Files.isDirectory(fromModule) ? fromModule : Path.of("deploy");
    }

    private static List<Path> jars(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.toString().endsWith(".jar")).sorted().toList();
        }
    }

    private static List<String> jarNames(Path dir) throws IOException {
        return jars(dir).stream().map(p -> p.getFileName().toString()).toList();
    }

    /** The inputs, produced in two halves (before and after the kill), and the read-back oracle. */
    private static final class Inputs {
        final Configuration options;
        final SampleEvents samples = new SampleEvents(23);
        final Set<String> expectedIds = new HashSet<>();
        final Set<String> expectedCorrupt = new HashSet<>();

        Inputs(Configuration options) {
            this.options = options;
        }

        void produceHalf(String bootstrap, int half) {
            List<byte[]> tickets = new ArrayList<>();
            List<byte[]> chats = new ArrayList<>();
            for (int i = half * TICKETS_PER_HALF; i < (half + 1) * TICKETS_PER_HALF; i++) {
                tickets.add(i % 2 == 0 ? samples.avro(samples.ticket("t-" + i))
                        : SampleEvents.json(samples.ticket("t-" + i)));
                expectedIds.add("t-" + i);
            }
            for (int i = half * CHATS_PER_HALF; i < (half + 1) * CHATS_PER_HALF; i++) {
                chats.add(i % 2 == 0 ? SampleEvents.json(samples.chat("c-" + i)) : samples.avro(samples.chat("c-" + i)));
                expectedIds.add("c-" + i);
            }
            for (int i = half * CORRUPT_PER_HALF; i < (half + 1) * CORRUPT_PER_HALF; i++) {
                String corrupt = "corrupt-" + i + " {not json";
                List<byte[]> target = i % 2 == 0 ? tickets : chats;
                target.add(target.size() / 2, corrupt.getBytes(StandardCharsets.UTF_8));
                expectedCorrupt.add(corrupt);
            }
            KafkaClients.produce(bootstrap, options.get(JobOptions.TICKETS_TOPIC), tickets);
            KafkaClients.produce(bootstrap, options.get(JobOptions.CHATS_TOPIC), chats);
        }

        List<String> outputTopics() {
            return List.of(options.get(JobOptions.ROUTING_TOPIC), options.get(JobOptions.MODERATION_TOPIC),
                    options.get(JobOptions.REVIEW_TOPIC));
        }

        Outcome readBack(String bootstrap) throws Exception {
            List<ClassifiedEvent> outputs = new ArrayList<>();
            for (String topic : outputTopics()) {
                outputs.addAll(KafkaClients.readClassified(bootstrap, topic));
            }
            Map<String, Long> counts = KafkaClients.countById(outputs);
            Set<String> lost = new HashSet<>(expectedIds);
            lost.removeAll(counts.keySet());
            List<String> duplicated = counts.entrySet().stream().filter(e -> e.getValue() > 1)
                    .map(Map.Entry::getKey).toList();
            List<DeadLetter> letters = KafkaClients.readDeadLetters(bootstrap,
                    options.get(JobOptions.DEAD_LETTER_TOPIC));
            Set<String> lostLetters = new HashSet<>(expectedCorrupt);
            for (DeadLetter letter : letters) {
                lostLetters.remove(StandardCharsets.UTF_8.decode(letter.getValue()).toString());
            }
            return new Outcome(outputs.size(), lost, duplicated, letters.size(), lostLetters);
        }
    }

    private record Outcome(int outputs, Set<String> lost, List<String> duplicated, int deadLetters,
            Set<String> lostDeadLetters) {}

    /** Counts what a {@code read_committed} consumer of the output topics has seen so far. */
    private static final class CommittedCount implements AutoCloseable {
        private final TopicReader reader;
        private int seen;

        CommittedCount(String bootstrap, List<String> topics) {
            reader = TopicReader.fromBeginning(KafkaClients.client(bootstrap), topics, true);
        }

        int poll() {
            seen += reader.poll(Duration.ofMillis(200)).count();
            return seen;
        }

        @Override
        public void close() {
            reader.close();
        }
    }
}
