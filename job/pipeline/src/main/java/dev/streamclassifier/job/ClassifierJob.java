package dev.streamclassifier.job;

import dev.streamclassifier.job.classify.ClassifierOpener;
import dev.streamclassifier.job.classify.ClassifyOperator;
import dev.streamclassifier.job.classify.ModelCheck;
import dev.streamclassifier.job.config.CheckpointSettings;
import dev.streamclassifier.job.config.CommandLine;
import dev.streamclassifier.job.config.JobConfig;
import dev.streamclassifier.job.config.OptionsHelp;
import dev.streamclassifier.job.decode.DecodeFunction;
import dev.streamclassifier.job.event.EventKind;
import dev.streamclassifier.job.event.OutboundRecord;
import dev.streamclassifier.job.event.RawRecord;
import dev.streamclassifier.job.event.TextEvent;
import dev.streamclassifier.job.kafka.ByInputKey;
import dev.streamclassifier.job.kafka.KafkaCheck;
import dev.streamclassifier.job.kafka.KafkaSources;
import dev.streamclassifier.job.registry.SchemaRegistry;
import dev.streamclassifier.job.sink.OutputSink;
import dev.streamclassifier.job.sink.OversizedRecordFilter;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The Flink job: three inputs (emails, tickets, chats) → decode (bad records become dead letters) → batched
 * classification → one exactly-once Kafka sink that writes every output topic (task topics, review, dead letters).
 *
 * <p>{@link #main} parses and validates the options, checks models and Kafka, and calls {@link #buildPipeline}; tests
 * and the tools that run the job on one machine call {@code buildPipeline} with their own sources and sink.
 */
public final class ClassifierJob {
    private static final Logger LOG = LoggerFactory.getLogger(ClassifierJob.class);

    private ClassifierJob() {}

    public static void main(String[] args) throws Exception {
        CommandLine line = CommandLine.parse(args, Set.of());
        if (line.takeSwitch("help")) {
            System.out.print(OptionsHelp.listing());
            return;
        }
        Configuration options = line.jobOptions();
        JobConfig config = JobConfig.from(options);
        LOG.info("Starting stream-classifier with {}", OptionsHelp.masked(options));
        checkBeforeStart(config);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        configureEnvironment(env, config.checkpoints());
        KafkaSources sources = new KafkaSources(config.sources());
        buildPipeline(env, config, kind -> sources.read(env, kind), OutputSink.create(config.sink()));
        env.execute("stream-classifier");
    }

    /**
     * Opens every model once and checks Kafka (reachable, topics exist, transaction timeout allowed) and the schema
     * registry if one is used, so that a job that would fail on its first record fails here, saying what to fix.
     *
     * @throws IllegalArgumentException naming each problem
     */
    public static void checkBeforeStart(JobConfig config) {
        ModelCheck.check(config.classify());
        KafkaCheck.check(config.sources().client(), config.kafkaRequirements());
        if (config.usesRegistry()) {
            new SchemaRegistry(config.decode().registry()).check();
        }
    }

    /** Checkpointing (with it, the exactly-once commits) and network buffering, as the settings say. */
    public static void configureEnvironment(StreamExecutionEnvironment env, CheckpointSettings checkpoints) {
        env.setBufferTimeout(checkpoints.bufferTimeout().toMillis());
        env.enableCheckpointing(checkpoints.interval().toMillis(), CheckpointingMode.EXACTLY_ONCE);
        if (checkpoints.unaligned()) {
            // Inference is slow next to everything else, so input queues fill up; aligned barriers would wait behind
            // all of it and delay every commit. Records the barrier overtakes are stored in the checkpoint instead.
            env.getCheckpointConfig().enableUnalignedCheckpoints();
        }
    }

    /**
     * Builds the pipeline on {@code env}.
     *
     * @param sources the raw records of each kind of event that has tasks (the job asks only for those)
     * @param sink writes every output record to the topic it names
     */
    public static void buildPipeline(StreamExecutionEnvironment env, JobConfig config,
            Function<EventKind, DataStream<RawRecord>> sources, Sink<OutboundRecord> sink) {
        buildPipeline(env, config, sources, sink, ClassifierOpener.MODELS);
    }

    /** As {@link #buildPipeline(StreamExecutionEnvironment, JobConfig, Function, Sink)}, with the classifiers opened by
     * {@code opener} (tests wrap the real ones to inject faults). */
    public static void buildPipeline(StreamExecutionEnvironment env, JobConfig config,
            Function<EventKind, DataStream<RawRecord>> sources, Sink<OutboundRecord> sink, ClassifierOpener opener) {
        DataStream<RawRecord> updates = config.modelUpdates() == null ? null
                : new KafkaSources(config.sources()).readModelUpdates(env, config.modelUpdates().updatesTopic(), null);
        buildPipeline(env, config, sources, updates, sink, opener);
    }

    /**
     * The job's graph from {@code sources} of input records and {@code updates}, the control topic's model updates
     * (null: none), to {@code sink}.
     */
    public static void buildPipeline(StreamExecutionEnvironment env, JobConfig config,
            Function<EventKind, DataStream<RawRecord>> sources, DataStream<RawRecord> updates,
            Sink<OutboundRecord> sink, ClassifierOpener opener) {
        DataStream<RawRecord> raw = null;
        for (Map.Entry<EventKind, List<String>> entry : config.classify().tasks().byKind().entrySet()) {
            if (entry.getValue().isEmpty()) {
                continue;
            }
            DataStream<RawRecord> input = sources.apply(entry.getKey());
            raw = raw == null ? input : raw.union(input);
        }
        if (raw == null) {
            throw new IllegalArgumentException("No event kind has a task: nothing to read");
        }
        int parallelism = config.parallelism().orElse(env.getParallelism());
        // Keyed by the input record's key: a key's events meet one classifier, in order, and leave it in order on the
        // pointwise edge to the sink, while topics with few partitions still spread over every classifier. Like any
        // exchange (unlike a forward edge) it lets unaligned checkpoint barriers overtake the queued records.
        DataStream<RawRecord> keyed = raw.keyBy(new ByInputKey());
        // Every classifier gets every model update, in the control topic's order, among its events.
        DataStream<RawRecord> decodeInput = updates == null ? keyed : keyed.union(updates.broadcast());
        SingleOutputStreamOperator<TextEvent> decoded = decodeInput
                .flatMap(new DecodeFunction(config.decode(), config.classify().output().deadLetterTopic(),
                        config.classify().output().maxRecordBytes(), config.classify().output().encoding()))
                .name("decode").uid("decode")
                .setParallelism(parallelism);
        SingleOutputStreamOperator<OutboundRecord> classified = decoded
                .transform("classify", TypeInformation.of(OutboundRecord.class),
                        new ClassifyOperator(config.classify(), opener))
                .uid("classify")
                .setParallelism(parallelism);
        // One sink, so one Kafka transaction per checkpoint covers every output topic: labelled events and the dead
        // letters of the same inputs commit together, and each checkpoint pays for one transaction instead of one per
        // topic. Rescale, not forward: with equal parallelism it connects classifier i to writer i as forward would,
        // but keeps the sink out of the classifier's chain, so it writes, flushes and commits on a thread of its own
        // and a transaction's commit never holds up the task thread that feeds the inference thread.
        // The size guard is chained with the sink: no edge of its own.
        classified
                .rescale()
                .filter(new OversizedRecordFilter(config.sink().maxRecordBytes()))
                .name("drop oversized records").uid("drop-oversized").setParallelism(parallelism)
                .sinkTo(sink).name("write outputs").uid("sink-outputs")
                .setParallelism(parallelism);
    }
}
