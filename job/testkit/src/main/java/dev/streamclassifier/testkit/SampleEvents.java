package dev.streamclassifier.testkit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.streamclassifier.schemas.ChatMessage;
import dev.streamclassifier.schemas.Email;
import dev.streamclassifier.schemas.SingleObjectCodec;
import dev.streamclassifier.schemas.SourceKind;
import dev.streamclassifier.schemas.Ticket;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Makes sample emails, tickets and chat messages, encoded as Avro single-object or JSON, for the demo, the benchmark
 * and the tests. The texts are written for this project (banking support requests, everyday chat, insults, spam);
 * they are not taken from any data set.
 */
public final class SampleEvents {
    private static final ObjectMapper JSON = new ObjectMapper();

    static final List<String> SUPPORT_REQUESTS = List.of(
            "I ordered a new card two weeks ago and it still has not arrived. When will it come?",
            "My card payment at the supermarket was declined even though I have money in my account.",
            "I want to change my PIN, how do I do that in the app?",
            "There is a charge on my statement that I do not recognise, I think someone used my card.",
            "How long does a bank transfer from another country take to show up in my account?",
            "I lost my card yesterday, please block it and send me a new one.",
            "Why was I charged a fee for withdrawing cash at an ATM?",
            "The exchange rate applied to my payment abroad looks wrong.",
            "I topped up my account by card but the money is not showing.",
            "Can I get a refund for an item I returned to the shop last week?",
            "My account has been blocked and I cannot log in. Please help.",
            "How do I verify my identity? The app keeps rejecting my photo.",
            "I made a transfer to the wrong account by mistake, can you cancel it?",
            "What is the age limit to open an account with you?",
            "Contactless payments are not working on my new card.",
            "I would like to close my account and get my remaining balance.");
    static final List<String> SUBJECTS = List.of("Card problem", "Question about my account", "Urgent: payment",
            "Help needed", "Transfer issue", "Fees", "");
    static final List<String> SAFE_CHATS = List.of(
            "hey, are we still meeting for lunch tomorrow?",
            "thanks for the help earlier, it works now",
            "I'll be a few minutes late, the train is delayed",
            "did you see the game last night? what a finish",
            "can you send me the notes from today's meeting?",
            "happy birthday! hope you have a great day",
            "ok sounds good, see you at 7",
            "the new update looks really nice");
    static final List<String> TOXIC_CHATS = List.of(
            "shut up you stupid idiot, nobody asked you",
            "you are such a worthless loser, get lost",
            "what a dumb bitch, go away",
            "you're a fucking moron and everyone hates you");
    static final List<String> SPAM_CHATS = List.of(
            "WINNER!! You have been selected for a 1000 cash prize. Call 09061701461 now to claim! T&C apply",
            "URGENT! Your mobile number has won a free holiday. Text CLAIM to 87121 to receive your reward",
            "Free entry in a weekly competition to win FA Cup final tickets. Text WIN to 80086 now",
            "Congratulations! You have won a guaranteed 500 voucher. Call now from a landline, 150p/min");

    private final Random random;
    private final SingleObjectCodec<Email> emails = SingleObjectCodec.of(Email.getClassSchema());
    private final SingleObjectCodec<Ticket> tickets = SingleObjectCodec.of(Ticket.getClassSchema());
    private final SingleObjectCodec<ChatMessage> chats = SingleObjectCodec.of(ChatMessage.getClassSchema());

    public SampleEvents(long seed) {
        this.random = new Random(seed);
    }

    private String pick(List<String> list) {
        return list.get(random.nextInt(list.size()));
    }

    /**
     * {@code count} texts of the given kind as the demo sends them: chat messages (mostly everyday, some insults and
     * spam) or support requests, most with a subject as their first line (tickets and emails).
     */
    public List<String> texts(SourceKind kind, int count) {
        List<String> texts = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            if (kind == SourceKind.CHAT) {
                texts.add(chat("c").getText());
            } else {
                String subject = pick(SUBJECTS);
                String request = pick(SUPPORT_REQUESTS);
                texts.add(subject.isEmpty() ? request : subject + "\n" + request);
            }
        }
        return texts;
    }

    public Email email(String id) {
        return Email.newBuilder().setId(id).setFrom("customer" + random.nextInt(1000) + "@example.com")
                .setTo(List.of("support@bank.example")).setSubject(pick(SUBJECTS)).setBody(pick(SUPPORT_REQUESTS))
                .setReceivedAt(Instant.now()).build();
    }

    public Ticket ticket(String id) {
        return ticket(id, pick(SUPPORT_REQUESTS));
    }

    public Ticket ticket(String id, String description) {
        return Ticket.newBuilder().setId(id).setCustomerId("c-" + random.nextInt(10_000))
                .setChannel(random.nextBoolean() ? "web" : "app").setSubject(pick(SUBJECTS))
                .setDescription(description).setCreatedAt(Instant.now()).build();
    }

    /** A chat message: mostly everyday talk, some insults and some spam. */
    public ChatMessage chat(String id) {
        int roll = random.nextInt(10);
        String text = roll < 6 ? pick(SAFE_CHATS) : roll < 8 ? pick(TOXIC_CHATS) : pick(SPAM_CHATS);
        return chat(id, text);
    }

    public ChatMessage chat(String id, String text) {
        return ChatMessage.newBuilder().setId(id).setConversationId("room-" + random.nextInt(20))
                .setUserId("u-" + random.nextInt(500)).setText(text).setSentAt(Instant.now()).build();
    }

    public byte[] avro(Email email) {
        return emails.encode(email);
    }

    public byte[] avro(Ticket ticket) {
        return tickets.encode(ticket);
    }

    public byte[] avro(ChatMessage chat) {
        return chats.encode(chat);
    }

    public static byte[] json(Email email) {
        ObjectNode node = JSON.createObjectNode().put("id", email.getId()).put("from", email.getFrom())
                .put("subject", email.getSubject()).put("body", email.getBody())
                .put("receivedAt", email.getReceivedAt().toString());
        email.getTo().forEach(node.putArray("to")::add);
        return node.toString().getBytes(StandardCharsets.UTF_8);
    }

    public static byte[] json(Ticket ticket) {
        return JSON.createObjectNode().put("id", ticket.getId()).put("customerId", ticket.getCustomerId())
                .put("channel", ticket.getChannel()).put("subject", ticket.getSubject())
                .put("description", ticket.getDescription()).put("createdAt", ticket.getCreatedAt().toEpochMilli())
                .toString().getBytes(StandardCharsets.UTF_8);
    }

    public static byte[] json(ChatMessage chat) {
        return JSON.createObjectNode().put("id", chat.getId()).put("conversationId", chat.getConversationId())
                .put("userId", chat.getUserId()).put("text", chat.getText())
                .put("sentAt", chat.getSentAt().toEpochMilli())
                .toString().getBytes(StandardCharsets.UTF_8);
    }
}
