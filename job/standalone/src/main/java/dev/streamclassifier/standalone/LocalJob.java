package dev.streamclassifier.standalone;

import dev.streamclassifier.job.ClassifierJob;
import dev.streamclassifier.job.config.JobConfig;
import dev.streamclassifier.job.config.JobOptions;
import dev.streamclassifier.job.event.RawRecord;
import dev.streamclassifier.job.kafka.KafkaSources;
import dev.streamclassifier.job.sink.OutputSink;
import dev.streamclassifier.testkit.EmbeddedKafka;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.util.function.UnaryOperator;

/**
 * The job on a Flink mini-cluster in this JVM, reading and writing a Kafka cluster: how the demo and the bench run it.
 * One slot per classifier; the sources, which need little, take one slot of parallelism 1.
 */
public final class LocalJob {
    public static final int CORES = Runtime.getRuntime().availableProcessors();

    private LocalJob() {}

    /** The job options with the parallelism set: the option's, else one classifier per core. */
    public static JobConfig config(Configuration options) {
        if (options.getOptional(JobOptions.PARALLELISM).isEmpty()) {
            options.set(JobOptions.PARALLELISM, CORES);
        }
        return JobConfig.from(options);
    }

    /**
     * Builds the job and starts it without waiting for it to end.
     *
     * @param webUiPort the Flink web UI's port; 0: no web UI
     */
    public static JobClient start(JobConfig config, String name, int webUiPort) throws Exception {
        return start(config, name, webUiPort, new Configuration(), UnaryOperator.identity());
    }

    /**
     * As {@link #start(JobConfig, String, int)}, with Flink settings of the mini-cluster's own (a restart strategy,
     * say) and each input stream passed through {@code inputs} before the job reads it (to inject a failure).
     */
    public static JobClient start(JobConfig config, String name, int webUiPort, Configuration flinkSettings,
            UnaryOperator<DataStream<RawRecord>> inputs) throws Exception {
        int parallelism = config.parallelism().orElse(CORES);
        Configuration flink = new Configuration(flinkSettings);
        flink.set(TaskManagerOptions.NUM_TASK_SLOTS, parallelism);
        StreamExecutionEnvironment env;
        if (webUiPort > 0) {
            flink.set(RestOptions.PORT, webUiPort);
            flink.set(RestOptions.BIND_ADDRESS, "localhost");
            env = StreamExecutionEnvironment.createLocalEnvironmentWithWebUI(flink);
        } else {
            env = StreamExecutionEnvironment.createLocalEnvironment(flink);
        }
        env.setParallelism(1);
        ClassifierJob.configureEnvironment(env, config.checkpoints());
        KafkaSources sources = new KafkaSources(config.sources());
        ClassifierJob.buildPipeline(env, config, kind -> inputs.apply(sources.read(env, kind)),
                OutputSink.create(config.sink()));
        return env.executeAsync(name);
    }

    /**
     * A one-node in-process Kafka. Its start-up prints its metadata bootstrap to stdout, which belongs to the tool's
     * own output (the demo's screen, the bench's JSON line).
     */
    public static EmbeddedKafka startKafkaQuietly() throws Exception {
        PrintStream stdout = System.out;
        System.setOut(new PrintStream(OutputStream.nullOutputStream()));
        try {
            return EmbeddedKafka.start();
        } finally {
            System.setOut(stdout);
        }
    }

    /** {@code preferred} if it is free, else any free port. */
    static int freePort(int preferred) {
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
}
