package dev.streamclassifier.standalone;

import dev.streamclassifier.job.lifecycle.ModelCommand;
import dev.streamclassifier.job.lifecycle.ModelCommands;
import dev.streamclassifier.schemas.ModelAction;
import dev.streamclassifier.schemas.ModelEvent;
import dev.streamclassifier.schemas.SingleObjectCodec;
import dev.streamclassifier.testkit.EmbeddedKafka;
import dev.streamclassifier.testkit.KafkaClients;
import dev.streamclassifier.udf.ModelDirectory;
import dev.streamclassifier.udf.ModelManifest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The {@code models} command against a real broker, the real chat-moderation model and a model store on disk: a good
 * version is checked, copied and published; a version that a job would reject is neither copied nor published; the
 * listing reads what instances reported on the model-events topic.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ModelsCommandITCase {
    private static final String MODEL = "chat-moderation";
    private static EmbeddedKafka kafka;

    @TempDir
    static Path temp;

    @BeforeAll
    static void startKafka() throws Exception {
        kafka = LocalJob.startKafkaQuietly();
        kafka.createTopics(List.of("model-updates", "model-events"), 1);
    }

    @AfterAll
    static void stopKafka() throws Exception {
        kafka.close();
    }

    /** The bundled model copied to {@code temp/name}, its manifest changed by {@code edit}. */
    private static Path copy(String name, Consumer<ModelManifest> edit) throws Exception {
        return ModelDirectory.locate(MODEL, null).copyTo(temp.resolve(name), edit).path();
    }

    private record Run(int exitCode, String printed) {}

    private static Run models(String... args) throws Exception {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--kafka.bootstrap-servers", kafka.bootstrapServers(),
                "--model-store.uri", temp.resolve("store").toUri().toString()));
        int exit = ModelsCommand.run(all.toArray(String[]::new), new PrintStream(printed, true, StandardCharsets.UTF_8));
        return new Run(exit, printed.toString(StandardCharsets.UTF_8));
    }

    private static List<ModelCommand> updates() {
        List<ModelCommand> commands = new ArrayList<>();
        List<byte[]> values = KafkaClients.readCommitted(kafka.bootstrapServers(), "model-updates");
        for (int i = 0; i < values.size(); i++) {
            commands.add(ModelCommands.decode(values.get(i), i));
        }
        return commands;
    }

    @Test
    void aGoodVersionIsCheckedCopiedAndPublishedAndARejectedOneGoesNowhere() throws Exception {
        Path good = copy("good", manifest -> manifest.version = "2.0.0");
        Path relabelled = copy("relabelled", manifest -> {
            manifest.version = "3.0.0";
            manifest.labels = List.of("ok", "toxic", "spam");
        });

        Run check = models("check", "--model", MODEL, "--dir", good.toString());
        Run published = models("publish", "--model", MODEL, "--version", "2.0.0", "--from", good.toString());
        Run rejected = models("publish", "--model", MODEL, "--version", "3.0.0", "--from", relabelled.toString());
        Run shadow = models("publish", "--model", MODEL, "--version", "2.0.0", "--action", "shadow",
                "--shadow-share", "0.25");

        assertThat(check.exitCode()).as(check.printed()).isZero();
        assertThat(check.printed()).contains("check passed");
        assertThat(published.exitCode()).as(published.printed()).isZero();
        assertThat(published.printed()).contains("copied", "published 'ACTIVATE chat-moderation 2.0.0'");
        assertThat(rejected.exitCode()).isEqualTo(1);
        assertThat(rejected.printed()).contains("labels differ", "nothing copied, nothing published");
        assertThat(temp.resolve("store").resolve(MODEL).resolve("3.0.0")).doesNotExist();
        assertThat(temp.resolve("store").resolve(MODEL).resolve("2.0.0").resolve("model.onnx")).exists();
        assertThat(shadow.exitCode()).as(shadow.printed()).isZero();
        assertThatThrownBy(() -> models("publish", "--model", MODEL, "--version", "2.0.0", "--from",
                good.toString())).as("a published version never changes").hasMessageContaining("already holds");
        assertThat(updates()).extracting(command -> command.action + " " + command.version + " "
                + command.shadowShare).containsExactly("ACTIVATE 2.0.0 0.1", "SHADOW 2.0.0 0.25");
    }

    @Test
    void theListingShowsWhatEachInstanceServes() throws Exception {
        Run before = models("list");
        SingleObjectCodec<ModelEvent> codec = SingleObjectCodec.of(ModelEvent.getClassSchema());
        List<byte[]> events = new ArrayList<>();
        for (String instance : List.of("classify (1/2)", "classify (2/2)")) {
            events.add(codec.encode(event(instance, "2.0.0", ModelAction.SHADOW, "SHADOWING", null)));
            events.add(codec.encode(event(instance, "2.0.0", ModelAction.ACTIVATE, "ACTIVE", null)));
            events.add(codec.encode(event(instance, "broken", ModelAction.ACTIVATE, "REJECTED",
                    "the model file's sha256 does not match")));
        }
        KafkaClients.produce(kafka.bootstrapServers(), "model-events", events);

        Run after = models("list");

        assertThat(before.printed()).contains("no model events");
        assertThat(after.printed().lines()).contains(
                String.format("%-20s %-40s %-14s %s", MODEL, "classify (1/2)", "2.0.0", "-"),
                String.format("%-20s %-40s %-14s %s", MODEL, "classify (2/2)", "2.0.0", "-"));
        assertThat(after.printed()).contains("last rejected: chat-moderation broken", "sha256 does not match");
    }

    private static ModelEvent event(String instance, String version, ModelAction action, String outcome,
            String reason) {
        return ModelEvent.newBuilder().setModel(MODEL).setVersion(version).setAction(action.name())
                .setOutcome(outcome).setReason(reason).setPreviousVersion(null).setInstance(instance)
                .setAt(Instant.now()).build();
    }
}
