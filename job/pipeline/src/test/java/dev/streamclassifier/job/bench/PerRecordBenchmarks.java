package dev.streamclassifier.job.bench;

import dev.streamclassifier.job.TestConfigs;
import dev.streamclassifier.job.classify.BatchSettings;
import dev.streamclassifier.job.classify.ClassifyOperator;
import dev.streamclassifier.job.classify.ClassifySettings;
import dev.streamclassifier.job.classify.ModelSettings;
import dev.streamclassifier.job.classify.TaskPlan;
import dev.streamclassifier.job.classify.TaskSpec;
import dev.streamclassifier.job.decode.InputDecoder;
import dev.streamclassifier.job.event.EventKind;
import dev.streamclassifier.job.event.OutboundRecord;
import dev.streamclassifier.job.event.RawRecord;
import dev.streamclassifier.job.event.TextEvent;
import dev.streamclassifier.testkit.SampleEvents;
import dev.streamclassifier.udf.BatchClassifier;
import dev.streamclassifier.udf.BatchShape;
import dev.streamclassifier.udf.ClassScores;
import dev.streamclassifier.udf.ExecutionDevice;
import dev.streamclassifier.udf.ModelManifest;
import dev.streamclassifier.udf.WindowPolicy;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The per-record work of the job outside inference, in microseconds per record: decoding an input (Avro and JSON), and
 * the classify operator's own work per record (buffering, building the labelled event with all 77 class scores,
 * encoding it, emitting it), with a classifier that answers instantly so the model's time is left out.
 *
 * <p>Run it as docs/performance.md shows (an argument file keeps the command line short).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PerRecordBenchmarks {
    private static final int BATCH = 32;

    /** Inputs to decode. */
    @State(Scope.Thread)
    public static class Inputs {
        InputDecoder decoder;
        RawRecord avroTicket;
        RawRecord jsonChat;

        @Setup
        public void setUp() {
            SampleEvents samples = new SampleEvents(1);
            decoder = new InputDecoder(TestConfigs.decode());
            avroTicket = new RawRecord(EventKind.TICKET, "tickets", 0, 1, 0, null, samples.avro(samples.ticket("t1")));
            jsonChat = new RawRecord(EventKind.CHAT, "chats", 0, 1, 0, null, SampleEvents.json(samples.chat("c1")));
        }
    }

    /** The classify operator with a classifier that returns fixed scores: only the operator's own cost remains. */
    @State(Scope.Thread)
    public static class Operator {
        OneInputStreamOperatorTestHarness<TextEvent, OutboundRecord> harness;
        List<StreamRecord<TextEvent>> events = new ArrayList<>();

        @Setup
        public void setUp() throws Exception {
            ModelManifest manifest = new ModelManifest();
            manifest.name = "ticket-routing";
            manifest.version = "bench";
            manifest.labels = new ArrayList<>();
            for (int c = 0; c < 77; c++) {
                manifest.labels.add("intent_" + c);
            }
            float[] probabilities = new float[77];
            java.util.Arrays.fill(probabilities, 0.1f / 76);
            probabilities[3] = 0.9f;
            ClassScores scores = new ClassScores(manifest.labels, probabilities, false);
            BatchClassifier instant = new BatchClassifier() {
                @Override
                public ModelManifest manifest() {
                    return manifest;
                }

                @Override
                public List<ClassScores> classify(List<String> texts, WindowPolicy windows) {
                    return java.util.Collections.nCopies(texts.size(), scores);
                }

                @Override
                public void close() {}
            };
            ClassifySettings settings = new ClassifySettings(
                    new TaskPlan(List.of(new TaskSpec("routing", "ticket-routing", "routing", 0.5f)),
                            Map.of(EventKind.TICKET, List.of("routing"))),
                    new BatchSettings(BATCH, Duration.ofSeconds(10), BatchShape.ONE_BATCH),
                    new ModelSettings(null, ExecutionDevice.CPU, 1, false),
                    TestConfigs.output());
            harness = new OneInputStreamOperatorTestHarness<>(
                    new ClassifyOperator(settings, (model, models, shape) -> instant));
            harness.open();
            SampleEvents samples = new SampleEvents(2);
            RawRecord source = new RawRecord(EventKind.TICKET, "tickets", 0, 1, 0, null, new byte[0]);
            for (int i = 0; i < BATCH; i++) {
                String text = samples.texts(EventKind.TICKET.sourceKind(), 1).get(0);
                events.add(new StreamRecord<>(new TextEvent(EventKind.TICKET, "t-" + i, text, 0, source)));
            }
        }

        @TearDown(Level.Iteration)
        public void drain() {
            harness.getOutput().clear();
        }

        @TearDown
        public void close() throws Exception {
            harness.close();
        }
    }

    @Benchmark
    public Object decodeAvroTicket(Inputs inputs) throws Exception {
        return inputs.decoder.decode(inputs.avroTicket);
    }

    @Benchmark
    public Object decodeJsonChat(Inputs inputs) throws Exception {
        return inputs.decoder.decode(inputs.jsonChat);
    }

    /** One full batch through the operator; JMH divides by the batch size, so the figure is per record. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void classifyOperatorWithoutInference(Operator operator) throws Exception {
        for (StreamRecord<TextEvent> event : operator.events) {
            operator.harness.processElement(event);
        }
        operator.harness.getOutput().clear();
    }

    public static void main(String[] args) throws Exception {
        new Runner(new OptionsBuilder().include(PerRecordBenchmarks.class.getSimpleName()).build()).run();
    }
}
