package dev.streamclassifier.job;

import dev.streamclassifier.job.config.JobOptions;
import dev.streamclassifier.schemas.ClassifiedEvent;
import dev.streamclassifier.testkit.KafkaClients;
import dev.streamclassifier.testkit.SampleEvents;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.checkpoint.CheckpointStatsSnapshot;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.quota.ClientQuotaAlteration;
import org.apache.kafka.common.quota.ClientQuotaEntity;
import org.apache.kafka.common.quota.ClientQuotaFilter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A slow sink (the broker throttles the job's producers with a byte-rate quota) slows the whole job down: nothing is
 * dropped, and checkpoints, and with them the exactly-once commits, still complete while the job is backpressured.
 */
class BackpressureITCase {
    private static final Logger LOG = LoggerFactory.getLogger(BackpressureITCase.class);
    private static final int EVENTS = 400;
    // One producer writes every topic (one sink), and outputs list every class: ~1 MB for 400 tickets, ~3 s at this rate.
    private static final double PRODUCER_BYTES_PER_SECOND = 350_000;

    @RegisterExtension
    static final MiniClusterExtension FLINK = KafkaExtension.flinkMiniCluster();

    @RegisterExtension
    static final KafkaExtension KAFKA = new KafkaExtension();

    @Test
    void aThrottledSinkSlowsTheJobLosesNothingAndCheckpointsKeepCompleting(
            @InjectMiniCluster MiniCluster miniCluster) throws Exception {
        Configuration alignedOptions = prepare("slow-aligned", false);
        Configuration unalignedOptions = prepare("slow-unaligned", true);
        // Only now: the quota would throttle the test's own producer too.
        throttleEveryProducer();
        Run aligned = run(miniCluster, alignedOptions, "slow-aligned");
        Run unaligned = run(miniCluster, unalignedOptions, "slow-unaligned");
        LOG.info("backpressure, {} events under a {} B/s producer quota:\n  aligned:   {}\n  unaligned: {}", EVENTS,
                PRODUCER_BYTES_PER_SECOND, aligned, unaligned);

        for (Run run : List.of(aligned, unaligned)) {
            assertThat(run.counts).hasSize(EVENTS);
            assertThat(run.counts.values()).containsOnly(1L);
        }
        // Unthrottled, 400 tickets take about two seconds: the quota must have slowed the job, or this proves nothing.
        // With aligned checkpoints the barrier queues behind the backlog, which shows the backpressure too.
        assertThat(aligned.seconds).isGreaterThan(4);
        assertThat(aligned.maxDurationMs).isGreaterThan(1_000);
        // The throttled run lasts a few seconds: how many checkpoints fit in it depends on the host's load, but more
        // than one means they kept completing under backpressure.
        assertThat(unaligned.completed).as("checkpoints completed while backpressured").isGreaterThanOrEqualTo(2);
        // Relative, not a fixed bound: how long the unaligned checkpoint takes depends on the host's load, but it must
        // beat the aligned one, whose barrier waits behind the backlog.
        assertThat(unaligned.maxDurationMs).as("slowest checkpoint, unaligned vs aligned")
                .isLessThan(aligned.maxDurationMs);
    }

    /** Throttles every producer without a quota of its own: the job's sink (the test's consumer is not affected). */
    private static void throttleEveryProducer() throws Exception {
        try (Admin admin = Admin.create(KAFKA.kafka().adminProperties())) {
            ClientQuotaEntity defaultClient = new ClientQuotaEntity(
                    Collections.singletonMap(ClientQuotaEntity.CLIENT_ID, null));
            admin.alterClientQuotas(List.of(new ClientQuotaAlteration(defaultClient,
                    List.of(new ClientQuotaAlteration.Op("producer_byte_rate", PRODUCER_BYTES_PER_SECOND)))))
                    .all().get(30, TimeUnit.SECONDS);
            // The quota travels through the metadata log; start the jobs only once the broker enforces it.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (admin.describeClientQuotas(ClientQuotaFilter.all()).entities().get(30, TimeUnit.SECONDS).isEmpty()) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("the producer quota never showed up");
                }
                Thread.sleep(100);
            }
            Thread.sleep(1_000);
        }
    }

    private record Run(double seconds, long completed, long averageDurationMs, long maxDurationMs,
            Map<String, Long> counts) {
        @Override
        public String toString() {
            return String.format("%.1f s, %d checkpoints completed, duration avg %d ms, max %d ms, %d outputs",
                    seconds, completed, averageDurationMs, maxDurationMs, counts.size());
        }
    }

    private static Configuration prepare(String suffix, boolean unalignedCheckpoints) throws Exception {
        Configuration options = ItOptions.of(KAFKA.kafka(), suffix)
                .set(JobOptions.UNALIGNED_CHECKPOINTS, unalignedCheckpoints)
                // Every class's score (77 for tickets): outputs big enough for the quota to bite.
                .set(JobOptions.TOP_SCORES, 0);
        ItOptions.createTopics(KAFKA.kafka(), options);
        SampleEvents samples = new SampleEvents(9);
        // Tickets: each labelled ticket carries all 77 routing scores (about 2.5 kB), so the quota is what limits.
        List<byte[]> tickets = new ArrayList<>();
        for (int i = 0; i < EVENTS; i++) {
            tickets.add(samples.avro(samples.ticket("t-" + i)));
        }
        KafkaClients.produce(KAFKA.kafka().bootstrapServers(), options.get(JobOptions.TICKETS_TOPIC),
                tickets);
        return options;
    }

    private static Run run(MiniCluster miniCluster, Configuration options, String suffix) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        ItOptions.buildBounded(env, options);
        long start = System.nanoTime();
        JobClient job = env.executeAsync("backpressure-" + suffix);
        JobID jobId = job.getJobID();
        job.getJobExecutionResult().get(5, TimeUnit.MINUTES);
        double seconds = (System.nanoTime() - start) / 1e9;

        CheckpointStatsSnapshot stats = miniCluster.getExecutionGraph(jobId).get(30, TimeUnit.SECONDS)
                .getCheckpointStatsSnapshot();
        var durations = stats.getSummaryStats().getEndToEndDurationStats();
        List<ClassifiedEvent> outputs = new ArrayList<>();
        for (String topic : List.of("routing-" + suffix, "review-" + suffix)) {
            outputs.addAll(KafkaClients.readClassified(KAFKA.kafka().bootstrapServers(), topic));
        }
        return new Run(seconds, stats.getCounts().getNumberOfCompletedCheckpoints(), durations.getAverage(),
                durations.getMaximum(), KafkaClients.countById(outputs));
    }
}
