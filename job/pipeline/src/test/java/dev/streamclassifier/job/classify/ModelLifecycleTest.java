package dev.streamclassifier.job.classify;

import dev.streamclassifier.job.TestConfigs;
import dev.streamclassifier.job.TestModelStore;
import dev.streamclassifier.job.event.EventKind;
import dev.streamclassifier.job.event.OutboundRecord;
import dev.streamclassifier.job.event.RawRecord;
import dev.streamclassifier.job.event.TextEvent;
import dev.streamclassifier.job.lifecycle.ModelCommand;
import dev.streamclassifier.job.lifecycle.ModelCommands;
import dev.streamclassifier.job.lifecycle.ModelStore;
import dev.streamclassifier.job.lifecycle.ModelUpdateSettings;
import dev.streamclassifier.schemas.ClassifiedEvent;
import dev.streamclassifier.schemas.ModelEvent;
import dev.streamclassifier.schemas.SingleObjectCodec;
import dev.streamclassifier.udf.ExecutionDevice;
import dev.streamclassifier.udf.ModelDirectory;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Model updates inside one classify instance, on the real chat-moderation model: a new version takes over between
 * batches and starts with an empty cache, a restored instance resumes with it, a bad version is rejected while the
 * active one keeps serving, and a shadow version changes no output.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ModelLifecycleTest {
    private static final String MODEL = "chat-moderation";
    private static final String EVENTS = "model-events-out";

    @TempDir
    static Path storeDir;

    private static TestModelStore store;
    private static String startingVersion;
    private long sequence;

    @BeforeAll
    static void fillStore() throws IOException {
        store = new TestModelStore(storeDir);
        store.add(MODEL, "2.0.0");
        store.add(MODEL, "relabelled", manifest -> manifest.labels = List.of("ok", "toxic", "spam"));
        store.addCorrupt(MODEL, "corrupt");
        startingVersion = ModelDirectory.locate(MODEL, null).readManifest().version;
    }

    private static ClassifySettings settings() {
        return new ClassifySettings(TestConfigs.tasks(), TestConfigs.batch(1, Duration.ZERO),
                new ModelSettings(null, ExecutionDevice.CPU, 1, false,
                        new ModelUpdateSettings(new ModelStore(store.uri()), "model-updates", EVENTS, 20.0), 100),
                TestConfigs.output());
    }

    private static ClassifyHarness open() throws Exception {
        ClassifyHarness harness = ClassifyHarness.of(new ClassifyOperator(settings()));
        harness.open();
        return harness;
    }

    private TextEvent command(String json) {
        ModelCommand command = ModelCommands.decode(json.getBytes(StandardCharsets.UTF_8), sequence++);
        return TextEvent.command(command, new RawRecord(null, "model-updates", 0, command.sequence, 0, null, null));
    }

    /** Sends the update and runs the mail its loader posts when the version is loaded and checked. */
    private ModelEvent update(ClassifyHarness harness, String json) throws Exception {
        int before = events(harness).size();
        harness.processElement(new StreamRecord<>(command(json)));
        while (events(harness).size() == before) {
            harness.runNextMail();
        }
        return events(harness).get(before);
    }

    /** Classifies one chat (a batch of one) and returns its labelled event. */
    private static ClassifiedEvent classify(ClassifyHarness harness, String id, String text) throws Exception {
        harness.processElement(new StreamRecord<>(new TextEvent(EventKind.CHAT, id, text, 1_000,
                TestConfigs.raw(EventKind.CHAT, 0, new byte[0]))));
        harness.runNextMail();
        List<OutboundRecord> labelled = harness.outputs().stream().filter(r -> !r.topic.equals(EVENTS)).toList();
        return ModelLifecycleTest.<ClassifiedEvent>decode(labelled.get(labelled.size() - 1).value,
                ClassifiedEvent.getClassSchema());
    }

    private static List<ModelEvent> events(ClassifyHarness harness) {
        return harness.outputs().stream().filter(r -> r.topic.equals(EVENTS))
                .map(r -> ModelLifecycleTest.<ModelEvent>decode(r.value, ModelEvent.getClassSchema())).toList();
    }

    private static <T extends SpecificRecord> T decode(byte[] value, Schema schema) {
        try {
            return SingleObjectCodec.<T>of(schema).decode(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long counter(ClassifyHarness harness, String name) {
        return harness.counter(name);
    }

    @Test
    void aNewVersionTakesOverBetweenBatchesStartsWithAnEmptyCacheAndSurvivesARestore() throws Exception {
        OperatorSubtaskState checkpoint;
        try (ClassifyHarness harness = open()) {
            assertThat(classify(harness, "c1", "thanks a lot").getPredictions().get(0).getModelVersion())
                    .isEqualTo(startingVersion);
            classify(harness, "c2", "thanks  a lot");
            assertThat(counter(harness, "cacheHits")).as("the same text, spaced otherwise").isEqualTo(1);

            ModelEvent activated = update(harness, "{\"model\": \"chat-moderation\", \"version\": \"2.0.0\", "
                    + "\"action\": \"activate\"}");
            assertThat(activated.getOutcome()).isEqualTo("ACTIVE");
            assertThat(activated.getPreviousVersion()).isEqualTo(startingVersion);

            ClassifiedEvent after = classify(harness, "c3", "thanks a lot");
            assertThat(after.getPredictions().get(0).getModelVersion()).isEqualTo("2.0.0");
            assertThat(counter(harness, "cacheHits")).as("no result of the old version is served").isEqualTo(1);
            assertThat(counter(harness, "cacheMisses")).isEqualTo(2);
            checkpoint = harness.snapshot(1L, 1_000);
        }
        try (ClassifyHarness restored = ClassifyHarness.of(new ClassifyOperator(settings()))) {
            restored.initializeState(checkpoint);
            restored.open();
            assertThat(classify(restored, "c4", "see you at lunch").getPredictions().get(0).getModelVersion())
                    .as("restored with the version that was active").isEqualTo("2.0.0");
            ModelEvent rolledBack = update(restored, "{\"model\": \"chat-moderation\", \"action\": \"rollback\"}");
            assertThat(rolledBack.getOutcome()).isEqualTo("ACTIVE");
            assertThat(classify(restored, "c5", "see you at lunch").getPredictions().get(0).getModelVersion())
                    .isEqualTo(startingVersion);
        }
    }

    @Test
    void aVersionGoneFromTheStoreAtARestoreIsReportedAndTheStartingVersionServes() throws Exception {
        store.add(MODEL, "deleted-later");
        OperatorSubtaskState checkpoint;
        try (ClassifyHarness harness = open()) {
            assertThat(update(harness, "{\"model\": \"chat-moderation\", \"version\": \"deleted-later\", "
                    + "\"action\": \"activate\"}").getOutcome()).isEqualTo("ACTIVE");
            checkpoint = harness.snapshot(1L, 1_000);
        }
        try (Stream<Path> files = Files.walk(storeDir.resolve(MODEL).resolve("deleted-later"))) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
        try (ClassifyHarness restored = ClassifyHarness.of(new ClassifyOperator(settings()))) {
            restored.initializeState(checkpoint);
            restored.open();
            assertThat(classify(restored, "c1", "see you at lunch").getPredictions().get(0).getModelVersion())
                    .isEqualTo(startingVersion);
            assertThat(events(restored)).singleElement().satisfies(event -> {
                assertThat(event.getAction()).isEqualTo("RESTORE");
                assertThat(event.getOutcome()).isEqualTo("REJECTED");
                assertThat(event.getReason()).contains("deleted-later").contains("has no");
            });
        }
    }

    @Test
    void aBadVersionIsRejectedWithItsReasonAndTheActiveOneKeepsServing() throws Exception {
        try (ClassifyHarness harness = open()) {
            ModelEvent corrupt = update(harness, "{\"model\": \"chat-moderation\", \"version\": \"corrupt\", "
                    + "\"action\": \"activate\"}");
            ModelEvent relabelled = update(harness, "{\"model\": \"chat-moderation\", \"version\": \"relabelled\", "
                    + "\"action\": \"activate\"}");
            ModelEvent missing = update(harness, "{\"model\": \"chat-moderation\", \"version\": \"9.9\", "
                    + "\"action\": \"activate\"}");

            assertThat(corrupt.getOutcome()).isEqualTo("REJECTED");
            assertThat(corrupt.getReason()).contains("sha256");
            assertThat(relabelled.getReason()).contains("labels differ").contains("allowLabelChange");
            assertThat(missing.getReason()).contains("has no chat-moderation/9.9");
            assertThat(counter(harness, "modelVersionsRejected")).isEqualTo(3);
            assertThat(classify(harness, "c1", "good morning").getPredictions().get(0).getModelVersion())
                    .isEqualTo(startingVersion);
        }
    }

    @Test
    void updatesSentTogetherApplyInOffsetOrderAndAMootOneIsSuperseded() throws Exception {
        try (ClassifyHarness harness = open()) {
            for (String json : List.of(
                    "{\"model\": \"chat-moderation\", \"version\": \"corrupt\", \"action\": \"activate\"}",
                    "{\"model\": \"chat-moderation\", \"version\": \"relabelled\", \"action\": \"activate\"}",
                    "{\"model\": \"chat-moderation\", \"version\": \"2.0.0\", \"action\": \"activate\"}",
                    "{\"model\": \"chat-moderation\", \"action\": \"rollback\"}",
                    "{\"model\": \"chat-moderation\", \"version\": \"2.0.0\", \"action\": \"shadow\", "
                            + "\"shadowShare\": 1.0}",
                    "{\"model\": \"chat-moderation\", \"action\": \"deactivate-shadow\"}")) {
                harness.processElement(new StreamRecord<>(command(json)));
            }
            while (events(harness).size() < 6) {
                harness.runNextMail();
            }

            assertThat(events(harness)).extracting(e -> e.getAction() + " " + e.getVersion() + " " + e.getOutcome())
                    .containsExactly(
                            "ACTIVATE corrupt REJECTED",
                            "ACTIVATE relabelled SUPERSEDED",
                            "ACTIVATE 2.0.0 ACTIVE",
                            // Back from 2.0.0: the rollback waited for the activate before it.
                            "ROLLBACK " + startingVersion + " ACTIVE",
                            "SHADOW 2.0.0 SUPERSEDED",
                            "DEACTIVATE_SHADOW null SHADOW_STOPPED");
            assertThat(counter(harness, "modelVersionsRejected")).isEqualTo(1);
            assertThat(classify(harness, "c1", "good morning").getPredictions().get(0).getModelVersion())
                    .isEqualTo(startingVersion);
            assertThat(counter(harness, "shadowCompared")).isZero();
        }
    }

    @Test
    void aShadowVersionChangesNoOutputAndCountsItsAgreement() throws Exception {
        try (ClassifyHarness harness = open()) {
            ModelEvent shadowing = update(harness, "{\"model\": \"chat-moderation\", \"version\": \"2.0.0\", "
                    + "\"action\": \"shadow\", \"shadowShare\": 1.0}");
            assertThat(shadowing.getOutcome()).isEqualTo("SHADOWING");

            for (String text : List.of("good morning", "you are an idiot", "win a free prize now, call today")) {
                ClassifiedEvent event = classify(harness, "s-" + text.hashCode(), text);
                assertThat(event.getPredictions()).singleElement()
                        .satisfies(p -> assertThat(p.getModelVersion()).isEqualTo(startingVersion));
            }
            assertThat(harness.outputs().stream().filter(r -> !r.topic.equals(EVENTS))).hasSize(3);
            assertThat(counter(harness, "shadowCompared")).isEqualTo(3);
            assertThat(counter(harness, "shadowAgreed")).as("the same weights agree").isEqualTo(3);

            assertThat(update(harness, "{\"model\": \"chat-moderation\", \"action\": \"deactivate-shadow\"}")
                    .getOutcome()).isEqualTo("SHADOW_STOPPED");
            classify(harness, "s-after", "good night");
            assertThat(counter(harness, "shadowCompared")).isEqualTo(3);
        }
    }
}
