package dev.streamclassifier.job;

import dev.streamclassifier.job.config.JobConfig;
import dev.streamclassifier.job.config.JobOptions;
import dev.streamclassifier.job.event.RawRecord;
import dev.streamclassifier.job.sink.OutputSink;
import dev.streamclassifier.schemas.ClassifiedEvent;
import dev.streamclassifier.testkit.EmbeddedKafka;
import dev.streamclassifier.testkit.KafkaClients;
import dev.streamclassifier.testkit.SampleEvents;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Exactly-once where it counts: three brokers, topics of four partitions replicated three times with two in sync
 * required, the job at parallelism 2. While events flow, a task fails, and then the broker that leads the chats
 * topic's first partition is stopped and started again. A {@code read_committed} read-back must hold every input exactly once.
 *
 * <p>Per-key order is not asserted: outputs are keyed by event id and events are spread over the classifiers, so the
 * job keeps no order between events today.
 */
class ReplicatedClusterITCase {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicatedClusterITCase.class);
    private static final int EVENTS_PER_KIND = 1_500;
    private static final int PARTITIONS = 4;
    /** Set by the test to make the next record fail its task, once. */
    private static final AtomicBoolean FAIL_NEXT = new AtomicBoolean();

    @RegisterExtension
    static final MiniClusterExtension FLINK = KafkaExtension.flinkMiniCluster();

    private static EmbeddedKafka kafka;

    @BeforeAll
    static void startThreeBrokers() throws Exception {
        kafka = EmbeddedKafka.builder().brokers(3).start();
    }

    @AfterAll
    static void stopBrokers() throws Exception {
        kafka.close();
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void everyInputExactlyOnceThroughALeaderRestartAndATaskFailure(@InjectMiniCluster MiniCluster miniCluster)
            throws Exception {
        Configuration options = ItOptions.of(kafka, "replicated")
                .set(JobOptions.PARALLELISM, 2)
                .set(JobOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(500));
        JobConfig config = JobConfig.from(options);
        List<String> topics = new ArrayList<>(config.sources().topics().values());
        topics.addAll(config.outputTopics());
        kafka.createTopics(topics, PARTITIONS);
        SampleEvents samples = new SampleEvents(17);
        List<byte[]> tickets = new ArrayList<>();
        List<byte[]> chats = new ArrayList<>();
        Set<String> expected = new HashSet<>();
        for (int i = 0; i < EVENTS_PER_KIND; i++) {
            tickets.add(samples.avro(samples.ticket("t-" + i)));
            chats.add(SampleEvents.json(samples.chat("c-" + i)));
            expected.add("t-" + i);
            expected.add("c-" + i);
        }
        String chatsTopic = options.get(JobOptions.CHATS_TOPIC);
        KafkaClients.produce(kafka.adminProperties(), options.get(JobOptions.TICKETS_TOPIC), tickets);
        KafkaClients.produce(kafka.adminProperties(), chatsTopic, chats);

        StreamExecutionEnvironment env = ItOptions.restartingEnvironment(config, 10, Duration.ofMillis(500));
        var bounded = ItOptions.boundedSources(env, config);
        FAIL_NEXT.set(false);
        ClassifierJob.buildPipeline(env, config, kind -> bounded.apply(kind).map(new PaceAndFailOnDemand())
                .name("pace " + kind).uid("pace-" + kind), OutputSink.create(config.sink()));
        JobClient job = env.executeAsync("replicated-cluster");
        JobID jobId = job.getJobID();

        ItOptions.awaitNewCheckpoints(miniCluster, jobId, 2);
        FAIL_NEXT.set(true);
        ItOptions.awaitNewCheckpoints(miniCluster, jobId, 2);
        int leader = kafka.leader(chatsTopic, 0);
        LOG.info("Stopping broker {}, the leader of {}-0", leader, chatsTopic);
        kafka.stopBroker(leader);
        ItOptions.awaitNewCheckpoints(miniCluster, jobId, 2);
        kafka.startBroker(leader);
        LOG.info("Broker {} is back", leader);
        job.getJobExecutionResult().get(4, TimeUnit.MINUTES);

        assertThat(FAIL_NEXT).as("the injected task failure happened").isFalse();
        List<ClassifiedEvent> outputs = Stream.of("routing", "moderation", "review")
                .flatMap(prefix -> KafkaClients.readClassified(kafka.bootstrapServers(), prefix + "-replicated")
                        .stream()).toList();
        Map<String, Long> counts = KafkaClients.countById(outputs);
        Set<String> lost = new HashSet<>(expected);
        lost.removeAll(counts.keySet());
        List<String> duplicated = counts.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey)
                .toList();
        LOG.info("replicated: inputs {}, outputs {}, lost {}, duplicated {}", expected.size(), outputs.size(),
                lost.size(), duplicated.size());
        assertThat(lost).as("lost inputs").isEmpty();
        assertThat(duplicated).as("duplicated inputs").isEmpty();
        assertThat(KafkaClients.readDeadLetters(kafka.bootstrapServers(), "dead-letters-replicated")).isEmpty();
    }

    /** Paces the input so that the run outlasts the broker's restart, and fails its task once when asked. */
    private static final class PaceAndFailOnDemand implements MapFunction<RawRecord, RawRecord> {
        private static final long serialVersionUID = 1L;

        @Override
        public RawRecord map(RawRecord record) throws Exception {
            Thread.sleep(25);
            if (FAIL_NEXT.compareAndSet(true, false)) {
                throw new IllegalStateException("Injected task failure at " + record);
            }
            return record;
        }
    }
}
