package dev.streamclassifier.job;

import dev.streamclassifier.job.config.JobOptions;
import dev.streamclassifier.schemas.ClassifiedEvent;
import dev.streamclassifier.schemas.DeadLetter;
import dev.streamclassifier.testkit.KafkaClients;
import dev.streamclassifier.testkit.SampleEvents;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole job on a real in-process broker and a Flink mini-cluster: inputs in Avro and JSON end labelled on the right
 * topics, and records that cannot be decoded land in the dead-letter topic with a reason.
 */
class PipelineITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = KafkaExtension.flinkMiniCluster();

    @RegisterExtension
    static final KafkaExtension KAFKA = new KafkaExtension();

    @Test
    void labelsEventsInAllFormatsAndSendsBadRecordsToDeadLetters() throws Exception {
        Configuration options = ItOptions.of(KAFKA.kafka(), "formats");
        ItOptions.createTopics(KAFKA.kafka(), options);
        SampleEvents samples = new SampleEvents(7);
        String bootstrap = KAFKA.kafka().bootstrapServers();
        KafkaClients.produce(bootstrap, options.get(JobOptions.TICKETS_TOPIC), List.of(
                samples.avro(samples.ticket("t-avro", "I lost my card yesterday, please block it and send a new one")),
                SampleEvents.json(samples.ticket("t-json", "I want to change my PIN, how do I do that?"))));
        KafkaClients.produce(bootstrap, options.get(JobOptions.EMAILS_TOPIC), List.of(
                samples.avro(samples.email("e-avro")), SampleEvents.json(samples.email("e-json"))));
        KafkaClients.produce(bootstrap, options.get(JobOptions.CHATS_TOPIC), List.of(
                samples.avro(samples.chat("c-spam",
                        "WINNER!! You have been selected for a 1000 cash prize. Call 09061701461 now to claim!")),
                SampleEvents.json(samples.chat("c-safe", "are we still meeting for lunch tomorrow?")),
                "{\"id\": \"c-broken\", \"text\": ".getBytes(StandardCharsets.UTF_8),
                new byte[] {(byte) 0xC3, 0x01, 1, 2, 3},
                "{\"id\": \"c-empty\", \"text\": \"   \"}".getBytes(StandardCharsets.UTF_8)));

        ItOptions.runBounded(options, "pipeline-it");

        List<ClassifiedEvent> routed = KafkaClients.readClassified(bootstrap, "routing-formats");
        List<ClassifiedEvent> moderated = KafkaClients.readClassified(bootstrap, "moderation-formats");
        List<ClassifiedEvent> review = KafkaClients.readClassified(bootstrap, "review-formats");
        List<DeadLetter> deadLetters = KafkaClients.readDeadLetters(bootstrap, "dead-letters-formats");

        Map<String, ClassifiedEvent> all = Stream.of(routed, moderated, review).flatMap(List::stream)
                .collect(Collectors.toMap(ClassifiedEvent::getSourceId, e -> e));
        assertThat(all.keySet()).containsExactlyInAnyOrder("t-avro", "t-json", "e-avro", "e-json", "c-spam", "c-safe");
        assertThat(all.get("t-avro").getPredictions().get(0).getLabel()).isEqualTo("lost_or_stolen_card");
        // The default tasks: tickets are routed and checked for scope, emails routed and checked for a request.
        assertThat(all.get("t-avro").getPredictions()).extracting(p -> p.getTask() + "/" + p.getModelName())
                .containsExactly("routing/ticket-routing", "scope/support-intent");
        assertThat(all.get("e-json").getPredictions()).extracting(p -> p.getTask() + "/" + p.getModelName())
                .containsExactly("routing/ticket-routing", "intent/email-intent");
        assertThat(all.get("c-spam").getPredictions().get(0).getLabel()).isEqualTo("spam");
        assertThat(all.get("c-safe").getPredictions().get(0).getLabel()).isEqualTo("safe");
        for (ClassifiedEvent event : routed) {
            assertThat(event.getPredictions().get(0).getTask()).isEqualTo("routing");
            assertThat(event.getNeedsReview()).isFalse();
        }
        for (ClassifiedEvent event : moderated) {
            assertThat(event.getPredictions().get(0).getTask()).isEqualTo("moderation");
        }
        for (ClassifiedEvent event : review) {
            assertThat(event.getNeedsReview()).isTrue();
        }
        assertThat(deadLetters).hasSize(3);
        assertThat(deadLetters).allSatisfy(letter -> {
            assertThat(letter.getSourceTopic()).isEqualTo("chats-formats");
            assertThat(letter.getValue()).isNotNull();
            assertThat(letter.getMessage()).isNotBlank();
        });
        Set<String> reasons = deadLetters.stream().map(l -> l.getErrorKind() + ": " + l.getMessage())
                .collect(Collectors.toSet());
        assertThat(reasons).anyMatch(r -> r.startsWith("DECODE") && r.contains("JSON"));
        assertThat(reasons).anyMatch(r -> r.startsWith("DECODE") && r.contains("Avro"));
        assertThat(reasons).anyMatch(r -> r.startsWith("VALIDATION") && r.contains("no text"));
    }
}
