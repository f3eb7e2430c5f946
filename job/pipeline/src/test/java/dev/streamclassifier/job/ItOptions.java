package dev.streamclassifier.job;

import dev.streamclassifier.job.config.JobConfig;
import dev.streamclassifier.job.config.JobOptions;
import dev.streamclassifier.job.event.EventKind;
import dev.streamclassifier.job.event.RawRecord;
import dev.streamclassifier.job.kafka.KafkaSources;
import dev.streamclassifier.job.sink.OutputSink;
import dev.streamclassifier.testkit.EmbeddedKafka;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/** Job options for integration tests: every topic, group and transactional-id prefix unique to one test. */
public final class ItOptions {
    private ItOptions() {}

    public static Configuration of(EmbeddedKafka kafka, String suffix) {
        return new Configuration()
                .set(JobOptions.BOOTSTRAP_SERVERS, kafka.bootstrapServers())
                .set(JobOptions.GROUP_ID, "it-" + suffix)
                .set(JobOptions.EMAILS_TOPIC, "emails-" + suffix)
                .set(JobOptions.TICKETS_TOPIC, "tickets-" + suffix)
                .set(JobOptions.CHATS_TOPIC, "chats-" + suffix)
                .set(JobOptions.ROUTING_TOPIC, "routing-" + suffix)
                .set(JobOptions.MODERATION_TOPIC, "moderation-" + suffix)
                .set(JobOptions.REVIEW_TOPIC, "review-" + suffix)
                .set(JobOptions.DEAD_LETTER_TOPIC, "dead-letters-" + suffix)
                .set(JobOptions.TRANSACTIONAL_ID_PREFIX, "it-" + suffix)
                .set(JobOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(300))
                .set(JobOptions.INTRA_OP_THREADS, 1)
                .set(JobOptions.PARALLELISM, 1);
    }

    /**
     * The test's mini-cluster environment, configured for the job as {@code config} says, with a fixed-delay restart
     * strategy: for tests that inject failures and expect the job to recover.
     */
    public static StreamExecutionEnvironment restartingEnvironment(JobConfig config, int attempts, Duration delay) {
        Configuration restarts = new Configuration();
        restarts.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        restarts.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, attempts);
        restarts.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, delay);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.configure(restarts);
        ClassifierJob.configureEnvironment(env, config.checkpoints());
        return env;
    }

    /** Kafka sources that read their topic up to the offsets that are latest at start, then finish. */
    public static Function<EventKind, DataStream<RawRecord>> boundedSources(StreamExecutionEnvironment env,
            JobConfig config) {
        KafkaSources sources = new KafkaSources(config.sources());
        return kind -> sources.read(env, kind, sources.builder(kind).setBounded(OffsetsInitializer.latest()));
    }

    /** Builds the job on {@code env} with bounded sources and the real sink; returns its settings. */
    public static JobConfig buildBounded(StreamExecutionEnvironment env, Configuration options) {
        JobConfig config = JobConfig.from(options);
        ClassifierJob.configureEnvironment(env, config.checkpoints());
        ClassifierJob.buildPipeline(env, config, boundedSources(env, config), OutputSink.create(config.sink()));
        return config;
    }

    /** Runs the job over everything in the input topics (bounded sources) on the test's mini-cluster. */
    public static void runBounded(Configuration options, String jobName) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        buildBounded(env, options);
        env.execute(jobName);
    }

    /** Every input topic, used or not, and every output topic, with one partition each. */
    public static void createTopics(EmbeddedKafka kafka, Configuration options) throws Exception {
        JobConfig config = JobConfig.from(options);
        List<String> topics = new ArrayList<>(config.sources().topics().values());
        topics.addAll(config.outputTopics());
        if (config.modelUpdates() != null) {
            topics.add(config.modelUpdates().updatesTopic());
        }
        kafka.createTopics(topics, 1);
    }

    /** Waits until {@code newOnes} more checkpoints of the job have completed, at most two minutes. */
    public static void awaitNewCheckpoints(MiniCluster miniCluster, JobID jobId, int newOnes) throws Exception {
        long start = completedCheckpoints(miniCluster, jobId);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (completedCheckpoints(miniCluster, jobId) < start + newOnes) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no progress: checkpoints stuck at " + completedCheckpoints(miniCluster, jobId));
            }
            Thread.sleep(50);
        }
    }

    public static long completedCheckpoints(MiniCluster miniCluster, JobID jobId) throws Exception {
        return miniCluster.getExecutionGraph(jobId).get(30, TimeUnit.SECONDS).getCheckpointStatsSnapshot().getCounts()
                .getNumberOfCompletedCheckpoints();
    }
}
