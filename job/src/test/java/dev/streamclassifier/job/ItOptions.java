package dev.streamclassifier.job;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Job options for integration tests: every topic, group and transactional-id prefix unique to one test. */
final class ItOptions {
    private ItOptions() {}

    static ClassifierOptions of(EmbeddedKafka kafka, String suffix) {
        return ClassifierOptions.fromArgs(new String[0])
                .set(ClassifierOptions.BOOTSTRAP_SERVERS, kafka.bootstrapServers())
                .set(ClassifierOptions.GROUP_ID, "it-" + suffix)
                .set(ClassifierOptions.EMAILS_TOPIC, "emails-" + suffix)
                .set(ClassifierOptions.TICKETS_TOPIC, "tickets-" + suffix)
                .set(ClassifierOptions.CHATS_TOPIC, "chats-" + suffix)
                .set(ClassifierOptions.ROUTING_TOPIC, "routing-" + suffix)
                .set(ClassifierOptions.MODERATION_TOPIC, "moderation-" + suffix)
                .set(ClassifierOptions.REVIEW_TOPIC, "review-" + suffix)
                .set(ClassifierOptions.DEAD_LETTER_TOPIC, "dead-letters-" + suffix)
                .set(ClassifierOptions.TRANSACTIONAL_ID_PREFIX, "it-" + suffix)
                .set(ClassifierOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(300))
                .set(ClassifierOptions.INTRA_OP_THREADS, 1)
                .set(ClassifierOptions.PARALLELISM, 1);
    }

    /**
     * The test's mini-cluster environment with a fixed-delay restart strategy, for tests that inject failures and
     * expect the job to recover.
     */
    static StreamExecutionEnvironment restartingEnvironment(int attempts, Duration delay) {
        Configuration restarts = new Configuration();
        restarts.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        restarts.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, attempts);
        restarts.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, delay);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.configure(restarts);
        return env;
    }

    /** Runs the job over everything in the input topics (bounded sources) on the test's mini-cluster. */
    static void runBounded(ClassifierOptions options, String jobName) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        ClassifierJob.configureCheckpointing(env, options);
        KafkaConnectors connectors = new KafkaConnectors(options, true);
        ClassifierJob.buildPipeline(env, options, connectors, connectors);
        env.execute(jobName);
    }

    static void createTopics(EmbeddedKafka kafka, ClassifierOptions options) throws Exception {
        List<String> topics = new ArrayList<>(options.inputTopics().values());
        topics.addAll(ClassifierJob.outputTopics(options));
        kafka.createTopics(topics, 1);
    }
}
