package dev.streamclassifier.job.classify;

import dev.streamclassifier.job.event.OutboundRecord;
import dev.streamclassifier.job.event.TextEvent;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.runtime.metrics.groups.InternalOperatorMetricGroup;
import org.apache.flink.runtime.metrics.groups.UnregisteredMetricGroups;
import org.apache.flink.runtime.metrics.util.InterceptingOperatorMetricGroup;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.runtime.operators.testutils.MockEnvironmentBuilder;
import org.apache.flink.streaming.runtime.tasks.mailbox.TaskMailbox;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;

import java.util.List;
import java.util.Map;

/**
 * Flink's operator test harness around a {@link ClassifyOperator}, with what these tests read besides its output: its
 * metrics (how many events wait for the next batch) and the mail a finished batch posts to the task thread.
 */
final class ClassifyHarness extends OneInputStreamOperatorTestHarness<TextEvent, OutboundRecord> {
    static final int MAX_PARALLELISM = 128;

    private final InterceptingOperatorMetricGroup metrics;

    private ClassifyHarness(ClassifyOperator operator, MockEnvironment environment,
            InterceptingOperatorMetricGroup metrics) throws Exception {
        super(operator, environment);
        this.metrics = metrics;
    }

    static ClassifyHarness of(ClassifyOperator operator) throws Exception {
        return of(operator, 1, 0);
    }

    /** Subtask {@code subtask} of {@code parallelism}, for restoring state that was split over subtasks. */
    static ClassifyHarness of(ClassifyOperator operator, int parallelism, int subtask) throws Exception {
        InterceptingOperatorMetricGroup metrics = new InterceptingOperatorMetricGroup();
        MockEnvironment environment = new MockEnvironmentBuilder()
                .setMaxParallelism(MAX_PARALLELISM)
                .setParallelism(parallelism)
                .setSubtaskIndex(subtask)
                .setMetricGroup(new UnregisteredMetricGroups.UnregisteredTaskMetricGroup() {
                    @Override
                    public InternalOperatorMetricGroup getOrAddOperator(OperatorID id, String name,
                            Map<String, String> additionalVariables) {
                        return metrics;
                    }
                })
                .build();
        return new ClassifyHarness(operator, environment, metrics);
    }

    /** Events waiting for the next batch, as the operator's {@code bufferedEvents} gauge reports them. */
    int buffered() {
        return (Integer) ((Gauge<?>) metrics.get("bufferedEvents")).getValue();
    }

    /** Waits for the mail a finished batch posts to the task's mailbox and runs it, as the task thread would. */
    void runNextMail() throws Exception {
        getTaskMailbox().take(TaskMailbox.MIN_PRIORITY).run();
    }

    /** A counter of the operator's, by name. */
    long counter(String name) {
        return ((Counter) metrics.get(name)).getCount();
    }

    List<OutboundRecord> outputs() {
        return extractOutputValues();
    }
}
