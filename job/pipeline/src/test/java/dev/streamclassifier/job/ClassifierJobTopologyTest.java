package dev.streamclassifier.job;

import dev.streamclassifier.job.config.JobConfig;
import dev.streamclassifier.job.config.JobOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.jobgraph.DistributionPattern;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.runtime.jobgraph.JobVertex;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.StreamSupport;

import static org.assertj.core.api.Assertions.assertThat;

/** The job graph's shape: which operators share a thread, and how many network edges (each with a flusher) it has. */
class ClassifierJobTopologyTest {
    private static JobGraph jobGraph() {
        JobConfig config = JobConfig.from(new Configuration()
                .set(JobOptions.BOOTSTRAP_SERVERS, "localhost:9092")
                .set(JobOptions.PARALLELISM, 2));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        ClassifierJob.configureEnvironment(env, config.checkpoints());
        ClassifierJob.buildPipeline(env, config, kind -> env.fromData(TestConfigs.raw(kind, 0, new byte[0])),
                new DiscardingSink<>());
        return env.getStreamGraph().getJobGraph();
    }

    private static JobVertex vertexNamed(JobGraph graph, String part) {
        List<JobVertex> matches = StreamSupport.stream(graph.getVertices().spliterator(), false)
                .filter(vertex -> vertex.getName().contains(part)).toList();
        assertThat(matches).as("vertices named *%s*", part).hasSize(1);
        return matches.get(0);
    }

    @Test
    void everyOutputLeavesTheClassifierOnOneEdgeToASinkOnAThreadOfItsOwn() {
        JobGraph graph = jobGraph();
        JobVertex classifier = vertexNamed(graph, "classify");
        JobVertex sink = vertexNamed(graph, "write outputs");

        assertThat(classifier.getName()).contains("decode").doesNotContain("write outputs");
        assertThat(classifier.getProducedDataSets()).as("output edges of the classifier's chain").hasSize(1);
        assertThat(sink.getInputs()).hasSize(1);
        assertThat(sink.getInputs().get(0).getSource().getProducer()).isEqualTo(classifier);
        assertThat(sink.getInputs().get(0).getDistributionPattern()).as("classifier i to writer i")
                .isEqualTo(DistributionPattern.POINTWISE);
        assertThat(sink.getParallelism()).isEqualTo(classifier.getParallelism()).isEqualTo(2);
    }
}
