package dev.streamclassifier.job;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Flink job: three inputs (emails, tickets, chats) → decode (bad records to the dead-letter topic) → batched
 * classification → one exactly-once Kafka sink that writes every output topic (task topics, review, dead letters).
 *
 * <p>{@link #main} parses and validates options, checks the models and calls {@link #buildPipeline}; tests call
 * {@code buildPipeline} with their own sources and sinks.
 */
public final class ClassifierJob {
    private static final Logger LOG = LoggerFactory.getLogger(ClassifierJob.class);

    private ClassifierJob() {}

    /** Where the job reads each kind of event from. */
    public interface Sources {
        DataStream<RawRecord> read(StreamExecutionEnvironment env, EventKind kind);
    }

    /** Where the job writes its outputs: one sink for every topic, each record names its own. */
    public interface Sinks {
        Sink<OutboundRecord> sink();
    }

    public static void main(String[] args) throws Exception {
        ClassifierOptions options = ClassifierOptions.fromArgs(args).validate();
        LOG.info("Starting stream-classifier with {}", options.printable());
        ModelCheck.check(options.classifierConfig());
        KafkaCheck.check(options);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        configureCheckpointing(env, options);
        KafkaConnectors kafka = new KafkaConnectors(options, false);
        buildPipeline(env, options, kafka, kafka);
        env.execute("stream-classifier");
    }

    /** Checkpointing (with it, the exactly-once commits) and network buffering, as the options say. */
    public static void configureCheckpointing(StreamExecutionEnvironment env, ClassifierOptions options) {
        env.setBufferTimeout(options.get(ClassifierOptions.BUFFER_TIMEOUT).toMillis());
        env.enableCheckpointing(options.get(ClassifierOptions.CHECKPOINT_INTERVAL).toMillis(),
                CheckpointingMode.EXACTLY_ONCE);
        if (options.get(ClassifierOptions.UNALIGNED_CHECKPOINTS)) {
            // Inference is slow next to everything else, so input queues fill up; aligned barriers would wait behind
            // all of it and delay every commit. Records the barrier overtakes are stored in the checkpoint instead.
            env.getCheckpointConfig().enableUnalignedCheckpoints();
        }
    }

    /** Every output topic the job writes, in a stable order: task topics, review, dead letters. */
    public static Set<String> outputTopics(ClassifierOptions options) {
        Set<String> topics = new LinkedHashSet<>();
        options.tasks().forEach(task -> topics.add(task.outputTopic()));
        topics.add(options.get(ClassifierOptions.REVIEW_TOPIC));
        topics.add(options.get(ClassifierOptions.DEAD_LETTER_TOPIC));
        return topics;
    }

    public static void buildPipeline(StreamExecutionEnvironment env, ClassifierOptions options, Sources sources,
            Sinks sinks) {
        buildPipeline(env, options, sources, sinks, ClassifierOpener.MODELS);
    }

    /** As {@link #buildPipeline(StreamExecutionEnvironment, ClassifierOptions, Sources, Sinks)}, with the classifiers
     * opened by {@code opener} (tests wrap the real ones to inject faults). */
    public static void buildPipeline(StreamExecutionEnvironment env, ClassifierOptions options, Sources sources,
            Sinks sinks, ClassifierOpener opener) {
        ClassifierConfig config = options.classifierConfig();
        ClassifierOpener classifiers = options.get(ClassifierOptions.SHARE_SESSION)
                ? SharedClassifiers.sharing(opener) : opener;
        DataStream<RawRecord> raw = null;
        for (Map.Entry<EventKind, List<String>> entry : config.tasksByKind().entrySet()) {
            if (entry.getValue().isEmpty()) {
                continue;
            }
            DataStream<RawRecord> input = sources.read(env, entry.getKey());
            raw = raw == null ? input : raw.union(input);
        }
        if (raw == null) {
            throw new IllegalArgumentException("No event kind has a task: nothing to read");
        }
        int parallelism = options.parallelism(env);
        // Rebalance: spreads topics with few partitions over every classifier, and (unlike a forward edge) lets
        // unaligned checkpoint barriers overtake the records queued in front of the classifier.
        SingleOutputStreamOperator<TextEvent> decoded = raw
                .rebalance()
                .map(new DecodeFunction(options.inputFormats(), config.deadLetterTopic()))
                .name("decode").uid("decode")
                .setParallelism(parallelism);
        SingleOutputStreamOperator<OutboundRecord> classified = decoded
                .transform("classify", TypeInformation.of(OutboundRecord.class), new ClassifyOperator(config, classifiers))
                .uid("classify")
                .setParallelism(parallelism);
        // One sink, so one Kafka transaction per checkpoint covers every output topic: labelled events and the dead
        // letters of the same inputs commit together, and each checkpoint pays for one transaction instead of one per
        // topic (starting one took 10-240 ms). Every output, dead letters included, leaves the classifier on its one
        // output edge (side outputs were three edges, each with a flusher thread waking every buffer timeout).
        // Rescale, not forward: with equal parallelism it connects classifier i to writer i as forward would, but
        // keeps the sink out of the classifier's chain, so it writes, flushes and commits on a thread of its own and
        // a transaction's commit never holds up the task thread that feeds the inference thread.
        classified
                .rescale()
                .sinkTo(sinks.sink()).name("write outputs").uid("sink-outputs")
                .setParallelism(parallelism);
    }
}
