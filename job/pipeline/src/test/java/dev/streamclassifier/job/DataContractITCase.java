package dev.streamclassifier.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.streamclassifier.job.config.JobOptions;
import dev.streamclassifier.testkit.KafkaClients;
import dev.streamclassifier.testkit.SampleEvents;
import dev.streamclassifier.testkit.TopicReader;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A topic shaped as another system writes it, through the job and out as JSON: a ticket system's nested JSON read
 * through field mappings, the input's keys and named headers carried to the output, mapped fields carried as
 * attributes, personal data masked in the copied text, a long chat read in windows, and a bad record's dead letter in
 * JSON too. Output is read {@code read_committed}, and every event must come out exactly once.
 */
class DataContractITCase {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TRACE = "traceparent";

    @RegisterExtension
    static final MiniClusterExtension FLINK = KafkaExtension.flinkMiniCluster();

    @RegisterExtension
    static final KafkaExtension KAFKA = new KafkaExtension();

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void anotherSystemsTopicComesOutAsJsonKeyedMaskedAndWithItsHeadersAndFields() throws Exception {
        Configuration options = ItOptions.of(KAFKA.kafka(), "contract")
                .set(JobOptions.OUTPUT_FORMAT, "json")
                .set(JobOptions.TICKET_JSON_ID, "/ticket/ref")
                .set(JobOptions.TICKET_JSON_TEXT, List.of("/ticket/subject", "/ticket/body"))
                .set(JobOptions.TICKET_JSON_TIME, "/created")
                .set(JobOptions.TICKET_JSON_ATTRIBUTES, Map.of("customerId", "/customer/id", "tier", "/customer/tier"))
                .set(JobOptions.OUTPUT_HEADERS, List.of(TRACE));
        ItOptions.createTopics(KAFKA.kafka(), options);
        String bootstrap = KAFKA.kafka().bootstrapServers();
        List<String> ticketIds = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(bootstrap)) {
            for (int i = 0; i < 5; i++) {
                String ref = "T-" + (1000 + i);
                ticketIds.add(ref);
                // The fifth has no key: its output is keyed by its id.
                byte[] key = i < 4 ? utf8("cust-" + (i % 2)) : null;
                ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(options.get(JobOptions.TICKETS_TOPIC),
                        key, utf8(ticketJson(ref, "cust-" + (i % 2), "Card payment declined",
                        "My card was declined twice today. Reach me at jane.doe@example.com please.")));
                record.headers().add(TRACE, utf8("00-trace-" + i + "-01"));
                producer.send(record).get();
            }
            producer.send(new ProducerRecord<>(options.get(JobOptions.TICKETS_TOPIC), utf8("cust-9"),
                    utf8("{\"ticket\": {\"subject\": \"no reference\"}}"))).get();
            SampleEvents samples = new SampleEvents(21);
            String longChat = "hey, are we still meeting for lunch tomorrow? ".repeat(4)
                    + "shut up you stupid idiot, nobody asked you, you worthless loser";
            producer.send(new ProducerRecord<>(options.get(JobOptions.CHATS_TOPIC), utf8("conv-1"),
                    samples.avro(samples.chat("chat-long", longChat)))).get();
        }

        ItOptions.runBounded(options, "data-contract");

        List<ConsumerRecord<byte[], byte[]>> routed = read(bootstrap, "routing-contract", "review-contract");
        Map<String, List<ConsumerRecord<byte[], byte[]>>> byId = routed.stream()
                .filter(record -> ticketIds.contains(json(record.value()).get("sourceId").asText()))
                .collect(Collectors.groupingBy(record -> json(record.value()).get("sourceId").asText()));
        assertThat(byId.keySet()).containsExactlyInAnyOrderElementsOf(ticketIds);
        byId.values().forEach(copies -> assertThat(copies).as("exactly once").hasSize(1));
        for (int i = 0; i < 5; i++) {
            ConsumerRecord<byte[], byte[]> record = byId.get(ticketIds.get(i)).get(0);
            JsonNode event = json(record.value());
            assertThat(new String(record.key(), StandardCharsets.UTF_8)).as("the input's key, or the id without one")
                    .isEqualTo(i < 4 ? "cust-" + (i % 2) : ticketIds.get(i));
            Header trace = record.headers().lastHeader(TRACE);
            assertThat(trace).isNotNull();
            assertThat(new String(trace.value(), StandardCharsets.UTF_8)).isEqualTo("00-trace-" + i + "-01");
            assertThat(event.get("attributes").get("customerId").asText()).isEqualTo("cust-" + (i % 2));
            assertThat(event.get("attributes").get("tier").asText()).isEqualTo("gold");
            assertThat(event.get("text").asText()).startsWith("Card payment declined\nMy card was declined")
                    .contains("[EMAIL]").doesNotContain("jane.doe@example.com");
            assertThat(event.get("eventTime").asText()).isEqualTo("2026-11-30T08:15:00Z");
        }

        JsonNode chat = read(bootstrap, "moderation-contract", "review-contract").stream()
                .map(record -> json(record.value()))
                .filter(event -> event.get("sourceId").asText().equals("chat-long")).findFirst().orElseThrow();
        assertThat(chat.get("windows").asInt()).as("read in moderation's 16-token windows").isGreaterThan(1);
        assertThat(chat.get("truncated").asBoolean()).isFalse();
        assertThat(chat.get("predictions").get(0).get("label").asText()).isEqualTo("toxic");

        List<ConsumerRecord<byte[], byte[]>> letters = read(bootstrap, "dead-letters-contract");
        assertThat(letters).singleElement().satisfies(letter -> {
            JsonNode dead = json(letter.value());
            assertThat(dead.get("errorKind").asText()).isEqualTo("VALIDATION");
            assertThat(dead.get("message").asText()).contains("'/ticket/ref' is missing");
            assertThat(new String(letter.key(), StandardCharsets.UTF_8)).isEqualTo("cust-9");
        });
    }

    private static String ticketJson(String ref, String customer, String subject, String body) {
        Map<String, Object> ticket = new HashMap<>();
        ticket.put("ticket", Map.of("ref", ref, "subject", subject, "body", body));
        ticket.put("customer", Map.of("id", customer, "tier", "gold"));
        ticket.put("created", "2026-11-30T08:15:00Z");
        try {
            return JSON.writeValueAsString(ticket);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<ConsumerRecord<byte[], byte[]>> read(String bootstrap, String... topics) {
        try (TopicReader reader = TopicReader.fromBeginning(KafkaClients.client(bootstrap), List.of(topics), true)) {
            return reader.readToEnd(Duration.ofSeconds(60));
        }
    }

    private static JsonNode json(byte[] value) {
        try {
            return JSON.readTree(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
