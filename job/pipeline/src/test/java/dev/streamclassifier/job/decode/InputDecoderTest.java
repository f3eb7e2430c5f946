package dev.streamclassifier.job.decode;

import dev.streamclassifier.job.TestConfigs;
import dev.streamclassifier.job.event.EventKind;
import dev.streamclassifier.job.event.RawRecord;
import dev.streamclassifier.job.event.TextEvent;
import dev.streamclassifier.schemas.Ticket;
import dev.streamclassifier.testkit.SampleEvents;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

class InputDecoderTest {
    private final SampleEvents samples = new SampleEvents(1);
    private final InputDecoder auto = new InputDecoder(TestConfigs.decode());

    private static RawRecord raw(EventKind kind, byte[] value) {
        return TestConfigs.raw(kind, 3, value);
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void decodesAvroOfEachKindAndJoinsSubjectAndBody() throws Exception {
        Ticket ticket = samples.ticket("t1", "my card is lost");
        TextEvent fromTicket = auto.decode(raw(EventKind.TICKET, samples.avro(ticket)));
        TextEvent fromEmail = auto.decode(raw(EventKind.EMAIL, samples.avro(samples.email("e1"))));
        TextEvent fromChat = auto.decode(raw(EventKind.CHAT, samples.avro(samples.chat("c1", "hi all"))));

        assertThat(fromTicket.id).isEqualTo("t1");
        assertThat(fromTicket.text).endsWith("my card is lost");
        assertThat(fromTicket.eventTime).isEqualTo(ticket.getCreatedAt().toEpochMilli());
        assertThat(fromTicket.offset).isEqualTo(3);
        assertThat(fromEmail.kind).isEqualTo(EventKind.EMAIL);
        assertThat(fromChat.text).isEqualTo("hi all");
    }

    @Test
    void decodesJsonWithEpochOrIsoTimesAndFallsBackToTheRecordTimestamp() throws Exception {
        TextEvent iso = auto.decode(raw(EventKind.CHAT,
                utf8("{\"id\":\"c1\",\"text\":\"hello\",\"sentAt\":\"2024-01-02T03:04:05Z\"}")));
        TextEvent none = auto.decode(raw(EventKind.TICKET, utf8("{\"id\":\"t1\",\"description\":\"help\"}")));

        assertThat(iso.eventTime).isEqualTo(Instant.parse("2024-01-02T03:04:05Z").toEpochMilli());
        assertThat(none.eventTime).isEqualTo(1_700_000_000_000L);
        assertThat(none.text).isEqualTo("help");
    }

    @Test
    void namesTheMissingOrWronglyTypedJsonField() {
        assertThatThrownBy(() -> auto.decode(raw(EventKind.CHAT, utf8("{\"id\":\"c1\"}"))))
                .isInstanceOf(DecodeException.class).hasMessageContaining("JSON field '/text' is missing or empty");
        assertThatThrownBy(() -> auto.decode(raw(EventKind.CHAT, utf8("{\"id\":\"c1\",\"text\":42}"))))
                .hasMessageContaining("'/text' must be a string");
        assertThatThrownBy(() -> auto.decode(raw(EventKind.CHAT, utf8("{\"id\":\"c1\",\"text\":\"x\",\"sentAt\":\"soon\"}"))))
                .hasMessageContaining("'/sentAt'");
        assertThatThrownBy(() -> auto.decode(raw(EventKind.CHAT, utf8("[1,2]"))))
                .hasMessageContaining("must be an object");
    }

    @Test
    void rejectsEmptyOrWhitespaceText() {
        assertThatThrownBy(() -> auto.decode(raw(EventKind.CHAT, utf8("{\"id\":\"c1\",\"text\":\" \\n\\t \"}"))))
                .isInstanceOf(DecodeException.class)
                .satisfies(e -> assertThat(((DecodeException) e).kind()).isEqualTo("VALIDATION"));
    }

    @Test
    void rejectsNullEmptyCorruptAndInvalidUtf8Values() {
        assertThatThrownBy(() -> auto.decode(raw(EventKind.CHAT, null))).hasMessageContaining("no value");
        assertThatThrownBy(() -> auto.decode(raw(EventKind.CHAT, new byte[0]))).hasMessageContaining("empty");
        assertThatThrownBy(() -> auto.decode(raw(EventKind.CHAT, new byte[] {(byte) 0xC3, 0x01, 1, 2})))
                .hasMessageContaining("Avro");
        assertThatThrownBy(() -> auto.decode(raw(EventKind.CHAT, new byte[] {'{', (byte) 0xFF, (byte) 0xFE, '}'})))
                .hasMessageContaining("UTF-8");
    }

    @Test
    void aHostileLengthPrefixIsRejectedWithoutAllocatingIt() {
        byte[] valid = samples.avro(samples.chat("c1", "hello"));
        byte[] hostile = java.util.Arrays.copyOf(valid, 15);
        // Zig-zag varint for a string of 2^29 bytes, right where the id's length should be.
        byte[] length = {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x04};
        System.arraycopy(length, 0, hostile, 10, length.length);

        assertThatThrownBy(() -> auto.decode(raw(EventKind.CHAT, hostile)))
                .isInstanceOf(DecodeException.class)
                .hasMessageContaining("exceeds maximum allowed");
    }

    @Test
    void aTopicConfiguredForAvroRejectsJsonAndOneForJsonReadsAvroBytesAsJson() {
        InputDecoder avroOnly = new InputDecoder(TestConfigs.decode("format.chats", "avro"));
        InputDecoder jsonOnly = new InputDecoder(TestConfigs.decode("format.chats", "json"));

        assertThatThrownBy(() -> avroOnly.decode(raw(EventKind.CHAT, utf8("{\"id\":\"c\",\"text\":\"t\"}"))))
                .hasMessageContaining("configured for Avro");
        assertThatThrownBy(() -> jsonOnly.decode(raw(EventKind.CHAT, samples.avro(samples.chat("c")))))
                .isInstanceOf(DecodeException.class);
        assertThatThrownBy(() -> InputFormat.parse("xml")).hasMessageContaining("auto, avro, json or registry-avro");
    }

    @Test
    void registryFramedValuesSayWhatToConfigure() {
        byte[] framed = {0, 0, 0, 0, 7, 2, 'h', 'i'};
        InputDecoder auto = new InputDecoder(TestConfigs.decode());
        InputDecoder registryOnly = new InputDecoder(TestConfigs.decode("format.chats", "registry-avro",
                "registry.url", "http://127.0.0.1:9/apis/ccompat/v7"));

        assertThatThrownBy(() -> auto.decode(raw(EventKind.CHAT, framed)))
                .hasMessageContaining("no schema registry is configured: set registry.url");
        assertThatThrownBy(() -> registryOnly.decode(raw(EventKind.CHAT, samples.avro(samples.chat("c")))))
                .hasMessageContaining("does not start with byte 0 and a 4-byte schema id");
    }

    @Test
    void aJsonMappingReadsAnotherSystemsFieldsAndCarriesTheNamedOnes() throws Exception {
        InputDecoder mapped = new InputDecoder(TestConfigs.decode(
                "json.ticket.id", "/ticket/key",
                "json.ticket.text", "/ticket/subject;/ticket/body",
                "json.ticket.time", "/ticket/created",
                "json.ticket.attributes", "customerId:/customer/id,queue:/ticket/queue",
                "json.text-separator", " | "));
        byte[] value = utf8("{\"ticket\": {\"key\": \"T-9\", \"subject\": \"Card blocked\", \"body\": "
                + "\"I cannot pay\", \"created\": \"2026-01-02T03:04:05Z\", \"queue\": \"cards\"}, "
                + "\"customer\": {\"id\": 42}}");

        TextEvent event = mapped.decode(raw(EventKind.TICKET, value));

        assertThat(event.id).isEqualTo("T-9");
        assertThat(event.text).isEqualTo("Card blocked | I cannot pay");
        assertThat(event.eventTime).isEqualTo(Instant.parse("2026-01-02T03:04:05Z").toEpochMilli());
        assertThat(event.attributes()).containsExactly(entry("customerId", "42"), entry("queue", "cards"));
        assertThatThrownBy(() -> mapped.decode(raw(EventKind.TICKET, utf8("{\"ticket\": {\"key\": \"T-1\"}}"))))
                .hasMessageContaining("JSON fields [/ticket/subject, /ticket/body] are missing or empty");
    }

    @Test
    void avroInputsCarryTheFieldsAnActionNeeds() throws Exception {
        SampleEvents samples = new SampleEvents(1);
        var chat = samples.chat("c-1", "hello");

        TextEvent event = auto.decode(raw(EventKind.CHAT, samples.avro(chat)));

        assertThat(event.attributes()).containsOnly(entry("userId", chat.getUserId()),
                entry("conversationId", chat.getConversationId()));
    }

    @Test
    void quotedRepliesAreLeftOutOfAnEmailWhenAsked() throws Exception {
        InputDecoder stripping = new InputDecoder(TestConfigs.decode("email.strip-quoted-replies", "true"));
        byte[] value = utf8("{\"id\": \"e1\", \"subject\": \"Re: fee\", \"body\": \"Why this fee?\\n"
                + "On Mon, Support wrote:\\n> We charge a fee.\"}");

        assertThat(stripping.decode(raw(EventKind.EMAIL, value)).text).isEqualTo("Re: fee\nWhy this fee?");
        assertThat(auto.decode(raw(EventKind.EMAIL, value)).text).contains("> We charge a fee.");
    }
}
