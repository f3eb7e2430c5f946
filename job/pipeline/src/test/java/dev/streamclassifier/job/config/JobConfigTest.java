package dev.streamclassifier.job.config;

import dev.streamclassifier.job.classify.TaskSpec;
import dev.streamclassifier.job.event.EventKind;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;

/** Options from the command line to typed settings, and every check a bad configuration fails. */
class JobConfigTest {

    private static Configuration parse(String... args) {
        return CommandLine.parse(args, Set.of()).jobOptions();
    }

    private static JobConfig config(String... args) {
        return JobConfig.from(parse(args));
    }

    @Test
    void defaultsAreValidOnceKafkaIsGivenAndRouteTicketsEmailsAndChats() {
        JobConfig config = config("--kafka.bootstrap-servers", "localhost:9092");

        assertThat(config.sink().guarantee()).isEqualTo(DeliveryGuarantee.EXACTLY_ONCE);
        List<TaskSpec> tasks = config.classify().tasks().tasks();
        assertThat(tasks).extracting(TaskSpec::name, TaskSpec::modelName, TaskSpec::outputTopic)
                .containsExactly(tuple("routing", "ticket-routing", "routing"),
                        tuple("intent", "email-intent", "routing"),
                        tuple("scope", "support-intent", "routing"),
                        tuple("moderation", "chat-moderation", "moderation"));
        assertThat(tasks).filteredOn(task -> task.name().equals("scope")).singleElement()
                .satisfies(task -> assertThat(task.reviewLabel()).isEqualTo("oos"));
        assertThat(tasks).filteredOn(task -> task.name().equals("intent")).singleElement()
                .satisfies(task -> assertThat(task.threshold()).isEqualTo(0.5f));
        assertThat(config.outputTopics()).containsExactly("routing", "moderation", "review", "dead-letters");
        assertThat(config.classify().batch().maxSize()).isEqualTo(JobOptions.MAX_BATCH_SIZE.defaultValue());
        assertThat(config.parallelism()).isEmpty();
    }

    @Test
    void reportsEveryProblemWithWhatToDo() {
        assertThatThrownBy(() -> config("--classifier.batch.max-size", "0", "--sink.transaction-timeout", "1 h"))
                .hasMessageContaining("kafka.bootstrap-servers is required")
                .hasMessageContaining("classifier.batch.max-size must be at least 1, was 0")
                .hasMessageContaining("sink.transaction-timeout (1 h) exceeds the brokers' "
                        + "transaction.max.timeout.ms (15 min)");
    }

    @Test
    void aValueOfTheWrongTypeNamesTheOptionAndItsDefault() {
        assertThatThrownBy(() -> config("--kafka.bootstrap-servers", "k:9092", "--checkpoint.interval", "often"))
                .hasMessageContaining("checkpoint.interval: cannot read 'often'")
                .hasMessageContaining("the default is 5 s");
    }

    @Test
    void theLargestRecordMustFitTheProducersRequestSize() {
        assertThatThrownBy(() -> config("--kafka.bootstrap-servers", "k:9092", "--sink.max-record-bytes", "1048576"))
                .hasMessageContaining("exceeds the producer's max.request.size (1048576): lower it to 1047552");
        assertThat(config("--kafka.bootstrap-servers", "k:9092", "--sink.max-record-bytes", "2000000",
                "--kafka.properties.max.request.size", "3000000").sink().maxRecordBytes()).isEqualTo(2_000_000);
        assertThatThrownBy(() -> config("--kafka.bootstrap-servers", "k:9092", "--sink.max-record-bytes", "100"))
                .hasMessageContaining("sink.max-record-bytes must be at least 16384");
    }

    @Test
    void rejectsAnUnknownOptionAndNamesTheKnownOnes() {
        assertThatThrownBy(() -> config("--kafka.bootstrap-servers", "k:9092", "--classifier.batch.size", "8"))
                .hasMessageContaining("unknown option 'classifier.batch.size'")
                .hasMessageContaining("classifier.batch.max-size");
    }

    @Test
    void exactlyOnceNeedsATransactionalIdPrefix() {
        assertThatThrownBy(() -> config("--kafka.bootstrap-servers", "k:9092", "--sink.transactional-id-prefix", " "))
                .hasMessageContaining("sink.transactional-id-prefix is required");
    }

    @Test
    void aTaskNeedsAModel() {
        assertThatThrownBy(() -> config("--kafka.bootstrap-servers", "k:9092", "--tasks.email", "routing;sentiment"))
                .hasMessageContaining("task 'sentiment' has no model: add sentiment:MODEL to task.models");
    }

    @Test
    void anOutputTopicMustNotBeAnInput() {
        assertThatThrownBy(() -> config("--kafka.bootstrap-servers", "k:9092", "--topic.review", "chats"))
                .hasMessageContaining("'chats' is both an input and an output");
    }

    @Test
    void passesKafkaPropertiesThroughAndMasksSecretsWhenPrinted() {
        Configuration options = parse("--kafka.bootstrap-servers", "k:9092",
                "--kafka.properties.security.protocol", "SASL_SSL",
                "--kafka.properties.sasl.jaas.config", "ScramLoginModule required password=\"hunter2\";");

        JobConfig config = JobConfig.from(options);
        assertThat(config.sources().client().properties()).containsEntry("security.protocol", "SASL_SSL")
                .containsKey("sasl.jaas.config");
        assertThat(config.sink().client()).isEqualTo(config.sources().client());
        assertThat(OptionsHelp.masked(options).toString()).doesNotContain("hunter2").contains("SASL_SSL");
    }

    @Test
    void tasksPerKindAreConfigurable() {
        JobConfig config = config("--kafka.bootstrap-servers", "k:9092", "--tasks.chat", "moderation;routing",
                "--tasks.email", "");

        assertThat(config.classify().tasks().byKind().get(EventKind.CHAT)).containsExactly("moderation", "routing");
        assertThat(config.classify().tasks().byKind().get(EventKind.EMAIL)).isEmpty();
        assertThat(config.inputTopics()).as("no emails topic: no email task").doesNotContain("emails")
                .contains("chats", "tickets");
    }

    @Test
    void theCommandLineRejectsStrayWordsMissingValuesAndRepeats() {
        assertThatThrownBy(() -> parse("kafka.bootstrap-servers", "k:9092")).hasMessageContaining("expected --key");
        assertThatThrownBy(() -> parse("--parallelism")).hasMessageContaining("--parallelism needs a value");
        assertThatThrownBy(() -> parse("--parallelism", "1", "--parallelism", "2"))
                .hasMessageContaining("given twice");
    }

    @Test
    void aToolsShorthandBecomesTheJobOptionAndMayNotBeGivenTwice() {
        CommandLine line = CommandLine.parse(new String[] {"--batch", "8", "--events", "100"}, Set.of());
        assertThat(line.takeInt("events", 3000, 1)).isEqualTo(100);
        line.alias("batch", JobOptions.MAX_BATCH_SIZE);
        assertThat(line.jobOptions().get(JobOptions.MAX_BATCH_SIZE)).isEqualTo(8);

        CommandLine both = CommandLine.parse(new String[] {"--batch", "8", "--classifier.batch.max-size", "4"},
                Set.of());
        assertThatThrownBy(() -> both.alias("batch", JobOptions.MAX_BATCH_SIZE)).hasMessageContaining("give one");
    }

    @Test
    void theListingReadsAsTextWithDurationsAsPeopleWriteThem() {
        String listing = OptionsHelp.listing();

        assertThat(listing).doesNotContain("Description@").doesNotContain("PT15M").doesNotContain("PT5S");
        assertThat(listing).contains("--kafka.broker.transaction-max-timeout (default: 15 min)")
                .contains("--checkpoint.interval (default: 5 s)")
                .contains("--classifier.batch.max-delay (default: 0 ms)")
                .contains("--tasks.email (default: routing,intent)")
                .contains("--kafka.bootstrap-servers (default: none)")
                .contains("A batch runs as soon as it holds this many events.");
        assertThat(listing.lines()).allSatisfy(line -> assertThat(line.length()).isLessThanOrEqualTo(120));
        for (var option : JobOptions.all()) {
            assertThat(listing).contains("--" + option.key() + " ");
        }
        assertThat(OptionsHelp.defaultValue(JobOptions.TRANSACTION_TIMEOUT)).isEqualTo("10 min");
        assertThat(OptionsHelp.format(Duration.ofMillis(5))).isEqualTo("5 ms");
    }
}
