package dev.streamclassifier.job;

import org.apache.flink.connector.base.DeliveryGuarantee;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ClassifierOptionsTest {

    private static ClassifierOptions parse(String... args) {
        return ClassifierOptions.fromArgs(args);
    }

    @Test
    void defaultsAreValidOnceKafkaIsGivenAndRouteTicketsEmailsAndChats() {
        ClassifierOptions options = parse("--kafka.bootstrap-servers", "localhost:9092").validate();

        assertThat(options.deliveryGuarantee()).isEqualTo(DeliveryGuarantee.EXACTLY_ONCE);
        assertThat(options.tasks()).extracting(TaskSpec::name, TaskSpec::modelName, TaskSpec::outputTopic)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("routing", "ticket-routing", "routing"),
                        org.assertj.core.groups.Tuple.tuple("intent", "email-intent", "routing"),
                        org.assertj.core.groups.Tuple.tuple("scope", "support-intent", "routing"),
                        org.assertj.core.groups.Tuple.tuple("moderation", "chat-moderation", "moderation"));
        assertThat(options.tasks()).filteredOn(task -> task.name().equals("scope")).singleElement()
                .satisfies(task -> assertThat(task.reviewLabel()).isEqualTo("oos"));
        assertThat(options.tasks()).filteredOn(task -> task.name().equals("intent")).singleElement()
                .satisfies(task -> assertThat(task.threshold()).isEqualTo(0.5f));
        assertThat(ClassifierJob.outputTopics(options)).containsExactly("routing", "moderation", "review",
                "dead-letters");
    }

    @Test
    void reportsEveryProblemWithWhatToDo() {
        assertThatThrownBy(() -> parse("--classifier.batch.max-size", "0", "--sink.transaction-timeout", "1 h")
                .validate())
                .hasMessageContaining("kafka.bootstrap-servers is required")
                .hasMessageContaining("classifier.batch.max-size must be between 1 and 4096")
                .hasMessageContaining("exceeds the brokers' transaction.max.timeout.ms");
    }

    @Test
    void rejectsAnUnknownOptionAndNamesTheKnownOnes() {
        assertThatThrownBy(() -> parse("--kafka.bootstrap-servers", "k:9092", "--classifier.batch.size", "8")
                .validate())
                .hasMessageContaining("unknown option 'classifier.batch.size'")
                .hasMessageContaining("classifier.batch.max-size");
    }

    @Test
    void exactlyOnceNeedsATransactionalIdPrefix() {
        assertThatThrownBy(() -> parse("--kafka.bootstrap-servers", "k:9092", "--sink.transactional-id-prefix", " ")
                .validate())
                .hasMessageContaining("sink.transactional-id-prefix is required");
    }

    @Test
    void aTaskNeedsAModel() {
        assertThatThrownBy(() -> parse("--kafka.bootstrap-servers", "k:9092", "--tasks.email", "routing;sentiment")
                .validate())
                .hasMessageContaining("task 'sentiment' has no model: add sentiment:MODEL to task.models");
    }

    @Test
    void anOutputTopicMustNotBeAnInput() {
        assertThatThrownBy(() -> parse("--kafka.bootstrap-servers", "k:9092", "--topic.review", "chats").validate())
                .hasMessageContaining("'chats' is both an input and an output");
    }

    @Test
    void passesKafkaPropertiesThroughAndMasksSecretsWhenPrinted() {
        ClassifierOptions options = parse("--kafka.bootstrap-servers", "k:9092",
                "--kafka.properties.security.protocol", "SASL_SSL",
                "--kafka.properties.sasl.jaas.config", "ScramLoginModule required password=\"hunter2\";").validate();

        assertThat(options.kafkaProperties()).containsEntry("security.protocol", "SASL_SSL")
                .containsKey("sasl.jaas.config");
        assertThat(options.printable().toString()).doesNotContain("hunter2").contains("SASL_SSL");
    }

    @Test
    void tasksPerKindAreConfigurable() {
        ClassifierOptions options = parse("--kafka.bootstrap-servers", "k:9092", "--tasks.chat", "moderation;routing",
                "--tasks.email", "").validate();

        assertThat(options.tasksByKind().get(EventKind.CHAT)).containsExactly("moderation", "routing");
        assertThat(options.tasksByKind().get(EventKind.EMAIL)).isEqualTo(List.of());
    }
}
