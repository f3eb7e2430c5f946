package dev.streamclassifier.job;

import dev.streamclassifier.job.config.JobOptions;
import dev.streamclassifier.schemas.ClassifiedEvent;
import dev.streamclassifier.schemas.DeadLetter;
import dev.streamclassifier.schemas.SchemaHistory;
import dev.streamclassifier.schemas.Ticket;
import dev.streamclassifier.testkit.KafkaClients;
import dev.streamclassifier.testkit.SampleEvents;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A corpus of hostile and odd inputs through the whole job: each one must end in exactly one place (labelled, or a
 * dead letter with a reason), and the job must keep running to the end of its input.
 */
class BadInputCorpusITCase {
    private static final Logger LOG = LoggerFactory.getLogger(BadInputCorpusITCase.class);

    @RegisterExtension
    static final MiniClusterExtension FLINK = KafkaExtension.flinkMiniCluster();

    @RegisterExtension
    static final KafkaExtension KAFKA = new KafkaExtension();

    /** One input and where it must end: LABELLED, or DEAD with a reason (containing {@code reason} if given). */
    private record Case(String name, String topic, byte[] key, byte[] value, String expected, String reason) {
        Case(String name, String topic, byte[] key, byte[] value, String expected) {
            this(name, topic, key, value, expected, "");
        }
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] chatJson(String id, String text) {
        return utf8("{\"id\":\"" + id + "\",\"conversationId\":\"r\",\"userId\":\"u\",\"text\":\"" + text + "\"}");
    }

    @Test
    void everyBadOrOddInputEndsInExactlyOnePlace() throws Exception {
        Configuration options = ItOptions.of(KAFKA.kafka(), "corpus");
        ItOptions.createTopics(KAFKA.kafka(), options);
        String chats = options.get(JobOptions.CHATS_TOPIC);
        String tickets = options.get(JobOptions.TICKETS_TOPIC);
        SampleEvents samples = new SampleEvents(3);
        byte[] validAvro = samples.avro(samples.chat("avro-ok", "see you at lunch"));

        Schema v0Ticket = schemaWithout("channel");
        GenericRecord oldTicket = new GenericData.Record(v0Ticket);
        oldTicket.put("id", "ticket-v0");
        oldTicket.put("customerId", "c");
        oldTicket.put("subject", "");
        oldTicket.put("description", "my card was stolen, please block it");
        oldTicket.put("createdAt", 1_700_000_000_000L);
        Schema v2Chat = schemaWith("language");
        GenericRecord newChat = new GenericData.Record(v2Chat);
        newChat.put("id", "chat-v2");
        newChat.put("conversationId", "r");
        newChat.put("userId", "u");
        newChat.put("text", "bonjour, how are you?");
        newChat.put("language", "fr");
        newChat.put("sentAt", 1_700_000_000_000L);
        Schema unknown = SchemaBuilder.record("ChatMessage").namespace("other").fields()
                .requiredString("id").requiredString("text").endRecord();
        GenericRecord unknownRecord = new GenericData.Record(unknown);
        unknownRecord.put("id", "x");
        unknownRecord.put("text", "y");
        // A valid header and fingerprint, then a complete varint claiming a 2^29-byte id, with little data behind it.
        byte[] hostileLength = Arrays.copyOf(validAvro, 15);
        System.arraycopy(new byte[] {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x04}, 0, hostileLength, 10, 5);
        byte[] corrupt = validAvro.clone();
        for (int i = 10; i < corrupt.length; i++) {
            corrupt[i] = (byte) 0xFF;
        }

        List<Case> cases = List.of(
                new Case("valid avro", chats, null, validAvro, "LABELLED"),
                new Case("truncated avro", chats, null, Arrays.copyOf(validAvro, validAvro.length - 6), "DEAD"),
                new Case("corrupt avro", chats, null, corrupt, "DEAD"),
                new Case("hostile length prefix", chats, null, hostileLength, "DEAD", "exceeds maximum allowed"),
                new Case("unknown fingerprint", chats, null, encode(unknown, unknownRecord), "DEAD"),
                new Case("older writer, field removed", tickets, utf8("k"), encode(v0Ticket, oldTicket), "LABELLED"),
                new Case("newer writer, field added", chats, null, encode(v2Chat, newChat), "LABELLED"),
                new Case("json missing text", chats, null, utf8("{\"id\":\"m1\"}"), "DEAD"),
                new Case("json wrong type", chats, null, utf8("{\"id\":\"m2\",\"text\":42}"), "DEAD"),
                new Case("json wrong id type", chats, null, utf8("{\"id\":7,\"text\":\"hi\"}"), "DEAD"),
                new Case("null value", chats, utf8("tombstone"), null, "DEAD"),
                new Case("empty value", chats, null, new byte[0], "DEAD"),
                new Case("null key, valid value", chats, null, chatJson("nokey", "hello there"), "LABELLED"),
                new Case("empty text", chats, null, chatJson("empty", ""), "DEAD"),
                new Case("whitespace text", chats, null, chatJson("blank", " \\t\\n "), "DEAD"),
                new Case("one megabyte text", chats, null,
                        chatJson("huge", "please help me with my account ".repeat(32_000)), "LABELLED"),
                new Case("invalid utf-8", chats, null, new byte[] {'{', '"', 'i', (byte) 0xC0, (byte) 0xAF, '}'},
                        "DEAD"),
                new Case("control characters", chats, null, chatJson("ctrl", "hi\\u0001\\u0007 there\\u0000"),
                        "LABELLED"),
                new Case("emoji only", chats, null, chatJson("emoji", "😀😂🔥👍"), "LABELLED"),
                new Case("mixed scripts", chats, null, chatJson("mixed", "Hello Привет 你好 مرحبا שלום"), "LABELLED"),
                new Case("json array", chats, null, utf8("[1,2,3]"), "DEAD"),
                new Case("plain text", chats, null, utf8("just some words"), "DEAD"));

        Map<String, Case> byCoordinates = new LinkedHashMap<>();
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(KAFKA.kafka().bootstrapServers())) {
            for (Case c : cases) {
                long offset = producer.send(new ProducerRecord<>(c.topic, c.key, c.value)).get().offset();
                byCoordinates.put(c.topic + "@" + offset, c);
            }
        }

        ItOptions.runBounded(options, "bad-input-corpus");

        String bootstrap = KAFKA.kafka().bootstrapServers();
        List<ClassifiedEvent> labelled = Stream.of("routing-corpus", "moderation-corpus", "review-corpus")
                .flatMap(topic -> {
                    try {
                        return KafkaClients.readClassified(bootstrap, topic).stream();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }).toList();
        List<DeadLetter> dead = KafkaClients.readDeadLetters(bootstrap, "dead-letters-corpus");

        Map<String, List<String>> places = new HashMap<>();
        for (ClassifiedEvent event : labelled) {
            places.computeIfAbsent(event.getSourceTopic() + "@" + event.getSourceOffset(), k -> new ArrayList<>())
                    .add("LABELLED");
        }
        for (DeadLetter letter : dead) {
            places.computeIfAbsent(letter.getSourceTopic() + "@" + letter.getOffset(), k -> new ArrayList<>())
                    .add("DEAD: " + letter.getErrorKind() + ": " + letter.getMessage());
        }
        assertThat(places.keySet()).containsExactlyInAnyOrderElementsOf(byCoordinates.keySet());
        for (Map.Entry<String, Case> entry : byCoordinates.entrySet()) {
            Case c = entry.getValue();
            List<String> where = places.get(entry.getKey());
            LOG.info("{}: {}", c.name, where);
            assertThat(where).as(c.name).hasSize(1);
            assertThat(where.get(0)).as(c.name).startsWith(c.expected);
            if (c.expected.equals("DEAD")) {
                assertThat(where.get(0)).as(c.name + " has a reason").matches("DEAD: \\w+: .{10,}")
                        .contains(c.reason);
            }
        }
        ClassifiedEvent huge = labelled.stream().filter(e -> e.getSourceId().equals("huge")).findFirst().orElseThrow();
        assertThat(huge.getTruncated()).isTrue();
        assertThat(huge.getText()).hasSize(10_000);
        LOG.info("corpus: {} inputs, {} labelled, {} dead letters", cases.size(), labelled.size(), dead.size());
    }

    private static Schema schemaWithout(String field) {
        return SchemaHistory.historicalSchemas().stream().filter(s -> s.getName().equals("Ticket"))
                .filter(s -> s.getField(field) == null).findFirst().orElseThrow();
    }

    private static Schema schemaWith(String field) {
        return SchemaHistory.historicalSchemas().stream().filter(s -> s.getField(field) != null).findFirst()
                .orElseThrow();
    }

    private static byte[] encode(Schema schema, GenericRecord record) throws Exception {
        return new BinaryMessageEncoder<GenericRecord>(GenericData.get(), schema).encode(record).array();
    }
}
