package dev.streamclassifier.schemas;

import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SingleObjectCodecTest {
    private static final Instant NOW = Instant.ofEpochMilli(1_700_000_000_123L);

    @Test
    void everyMessageCarriesTheMarkerAndTheSchemaFingerprint() {
        Ticket ticket = Ticket.newBuilder().setId("t1").setCustomerId("c1").setDescription("my card is lost")
                .setCreatedAt(NOW).build();

        byte[] bytes = SingleObjectCodec.<Ticket>of(Ticket.getClassSchema()).encode(ticket);

        assertThat(SingleObjectCodec.isSingleObject(bytes)).isTrue();
        long fingerprint = ByteBuffer.wrap(bytes, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertThat(fingerprint).isEqualTo(SchemaNormalization.parsingFingerprint64(Ticket.getClassSchema()));
    }

    @Test
    void roundTripsEveryRecordType() throws IOException {
        Email email = Email.newBuilder().setId("e1").setFrom("a@b.c").setTo(List.of("x@y.z")).setSubject("Hi")
                .setBody("Please help").setReceivedAt(NOW).build();
        ChatMessage chat = ChatMessage.newBuilder().setId("m1").setConversationId("r1").setUserId("u1")
                .setText("hello 👋 мир").setSentAt(NOW).build();
        ClassifiedEvent event = ClassifiedEvent.newBuilder().setSourceKind(SourceKind.CHAT).setSourceId("m1")
                .setText("hello").setPredictions(List.of(Prediction.newBuilder().setTask("moderation")
                        .setLabel("safe").setScore(0.9f).setScores(Map.of("safe", 0.9f, "spam", 0.1f))
                        .setThreshold(0.5f).setModelName("chat-moderation").setModelVersion("1").build()))
                .setNeedsReview(false).setEventTime(NOW).setProcessedAt(NOW).setInferenceMicros(1234).build();
        DeadLetter letter = DeadLetter.newBuilder().setSourceTopic("chats").setPartition(0).setOffset(7)
                .setValue(ByteBuffer.wrap(new byte[] {1, 2})).setErrorKind("DECODE").setMessage("bad")
                .setFailedAt(NOW).build();

        assertThat(roundTrip(email)).isEqualTo(email);
        assertThat(roundTrip(chat)).isEqualTo(chat);
        assertThat(roundTrip(event)).isEqualTo(event);
        assertThat(roundTrip(letter)).isEqualTo(letter);
    }

    @SuppressWarnings("unchecked")
    private static <T extends org.apache.avro.specific.SpecificRecord> T roundTrip(T record) throws IOException {
        SingleObjectCodec<T> codec = SingleObjectCodec.of(record.getSchema());
        return codec.decode(codec.encode(record));
    }

    @Test
    void resolvesAMessageWrittenWithTheOlderTicketSchema() throws IOException {
        Schema v0 = SchemaHistory.historicalSchemas().stream()
                .filter(s -> s.getField("channel") == null).findFirst().orElseThrow();
        GenericRecord old = new GenericData.Record(v0);
        old.put("id", "t-old");
        old.put("customerId", "c9");
        old.put("subject", "");
        old.put("description", "written before channel existed");
        old.put("createdAt", NOW.toEpochMilli());
        byte[] bytes = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v0).encode(old).array();

        Ticket ticket = SingleObjectCodec.<Ticket>of(Ticket.getClassSchema()).decode(bytes);

        assertThat(ticket.getId()).isEqualTo("t-old");
        assertThat(ticket.getChannel()).isEqualTo("web");
        assertThat(ticket.getCreatedAt()).isEqualTo(NOW);
    }

    @Test
    void readsADeadLetterWrittenBeforeRawRecordsCouldBeCut() throws IOException {
        Schema v0 = SchemaHistory.historicalSchemas().stream()
                .filter(s -> s.getName().equals("DeadLetter") && s.getField("cut") == null).findFirst().orElseThrow();
        GenericRecord old = new GenericData.Record(v0);
        old.put("sourceTopic", "chats");
        old.put("partition", 0);
        old.put("offset", 7L);
        old.put("errorKind", "DECODE");
        old.put("message", "not JSON");
        old.put("failedAt", NOW.toEpochMilli());
        byte[] bytes = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v0).encode(old).array();

        DeadLetter letter = SingleObjectCodec.<DeadLetter>of(DeadLetter.getClassSchema()).decode(bytes);

        assertThat(letter.getOffset()).isEqualTo(7L);
        assertThat(letter.getCut()).isNull();
    }

    @Test
    void readsAClassifiedEventWrittenBeforeMultiLabelPredictions() throws IOException {
        Schema v1 = SchemaHistory.historicalSchemas().stream()
                .filter(s -> s.getName().equals("ClassifiedEvent") && s.getField("attributes") != null)
                .findFirst().orElseThrow();
        Schema predictionV1 = v1.getField("predictions").schema().getElementType();
        GenericRecord prediction = new GenericData.Record(predictionV1);
        prediction.put("task", "moderation");
        prediction.put("label", "spam");
        prediction.put("score", 0.9f);
        prediction.put("scores", Map.of("spam", 0.9f));
        prediction.put("threshold", 0.3f);
        prediction.put("modelName", "chat-moderation");
        prediction.put("modelVersion", "1.0.0");
        GenericRecord old = new GenericData.Record(v1);
        old.put("sourceKind", new GenericData.EnumSymbol(v1.getField("sourceKind").schema(), "CHAT"));
        old.put("sourceId", "c-1");
        old.put("sourceTopic", "chats");
        old.put("sourcePartition", 0);
        old.put("sourceOffset", 3L);
        old.put("text", null);
        old.put("truncated", false);
        old.put("windows", 1);
        old.put("attributes", Map.of());
        old.put("predictions", List.of(prediction));
        old.put("needsReview", false);
        old.put("eventTime", NOW.toEpochMilli());
        old.put("processedAt", NOW.toEpochMilli());
        old.put("inferenceMicros", 10L);
        old.put("batchSize", 1);
        byte[] bytes = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v1).encode(old).array();

        ClassifiedEvent event = SingleObjectCodec.<ClassifiedEvent>of(ClassifiedEvent.getClassSchema()).decode(bytes);

        assertThat(event.getPredictions().get(0).getLabel()).isEqualTo("spam");
        assertThat(event.getPredictions().get(0).getLabels()).isEmpty();
    }

    @Test
    void rejectsAnUnknownFingerprint() {
        byte[] bytes = SingleObjectCodec.<ChatMessage>of(ChatMessage.getClassSchema()).encode(ChatMessage.newBuilder()
                .setId("m").setConversationId("c").setUserId("u").setText("t").setSentAt(NOW).build());
        bytes[5] ^= 0x55;

        assertThatThrownBy(() -> SingleObjectCodec.<ChatMessage>of(ChatMessage.getClassSchema()).decode(bytes))
                .hasMessageContaining("schema");
    }

    @Test
    void rejectsATruncatedMessage() {
        SingleObjectCodec<ChatMessage> codec = SingleObjectCodec.of(ChatMessage.getClassSchema());
        byte[] bytes = codec.encode(ChatMessage.newBuilder().setId("m").setConversationId("c").setUserId("u")
                .setText("a longer text that will be cut").setSentAt(NOW).build());

        assertThatThrownBy(() -> codec.decode(Arrays.copyOf(bytes, bytes.length - 10))).isInstanceOf(Exception.class);
        assertThat(SingleObjectCodec.isSingleObject(new byte[] {'{'})).isFalse();
    }
}
