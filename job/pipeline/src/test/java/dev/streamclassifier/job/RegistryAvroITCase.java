package dev.streamclassifier.job;

import dev.streamclassifier.job.config.JobOptions;
import dev.streamclassifier.job.registry.RegistryFraming;
import dev.streamclassifier.schemas.Ticket;
import dev.streamclassifier.testkit.KafkaClients;
import dev.streamclassifier.testkit.SampleEvents;
import io.apicurio.registry.serde.SerdeConfig;
import io.apicurio.registry.serde.avro.AvroKafkaDeserializer;
import io.apicurio.registry.serde.avro.AvroKafkaSerializer;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Registry-framed Avro in and out, against a real registry (Apicurio Registry, started from its Maven Central
 * distribution) and records written by a registry serializer that no one here wrote (Apicurio's, in its
 * Confluent-compatible mode: byte 0, a 4-byte id). Output is read back, {@code read_committed}, with Apicurio's
 * deserializer.
 */
class RegistryAvroITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = KafkaExtension.flinkMiniCluster();

    @RegisterExtension
    static final KafkaExtension KAFKA = new KafkaExtension();

    private static ApicurioRegistry registry;

    @BeforeAll
    static void startRegistry() throws Exception {
        registry = ApicurioRegistry.start();
    }

    @AfterAll
    static void stopRegistry() throws Exception {
        if (registry != null) {
            registry.close();
        }
    }

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void readsRecordsOfAnyRegisteredWriterSchemaAndWritesRegistryFramedOutput() throws Exception {
        Configuration options = options("reg", registry.confluentUrl());
        String tickets = options.get(JobOptions.TICKETS_TOPIC);
        SampleEvents samples = new SampleEvents(11);
        List<String> ids = new ArrayList<>();
        List<byte[]> values = new ArrayList<>();
        try (AvroKafkaSerializer<Object> serializer = serializer()) {
            for (int i = 0; i < 8; i++) {
                Ticket ticket = samples.ticket("t-" + i);
                ids.add(ticket.getId());
                // Half as our schema, half as a newer writer schema with a field our reader does not know.
                values.add(serializer.serialize(tickets, i % 2 == 0 ? ticket : withPriority(ticket, "high")));
            }
        }
        byte[] unknownId = ByteBuffer.allocate(12).put(RegistryFraming.MAGIC).putInt(987_654).putInt(42).array();
        values.add(unknownId);
        KafkaClients.produce(KAFKA.kafka().bootstrapServers(), tickets, values);

        ItOptions.runBounded(options, "registry-avro");

        String bootstrap = KAFKA.kafka().bootstrapServers();
        List<GenericRecord> labelled = Stream.of("routing-reg", "review-reg")
                .flatMap(topic -> readRegistryFramed(bootstrap, topic).stream()).toList();
        assertThat(labelled).extracting(event -> event.get("sourceId").toString())
                .containsExactlyInAnyOrderElementsOf(ids);
        assertThat(labelled).allSatisfy(event -> assertThat(((Map<?, ?>) event.get("attributes")).keySet())
                .extracting(Object::toString).contains("customerId", "channel"));
        List<GenericRecord> letters = readRegistryFramed(bootstrap, "dead-letters-reg");
        assertThat(letters).singleElement().satisfies(letter -> {
            assertThat(letter.get("errorKind").toString()).isEqualTo("DECODE");
            assertThat(letter.get("message").toString()).contains("schema id 987654 is not in the registry");
        });
        assertThat(subjects()).as("topic naming: <topic>-value").contains("routing-reg-value",
                "dead-letters-reg-value");
    }

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void aRegistryOutageStallsTheStreamAndDeadLettersNothing() throws Exception {
        try (Outage outage = new Outage(registry.port())) {
            Configuration options = options("outage", "http://127.0.0.1:" + outage.port() + "/apis/ccompat/v7")
                    .set(JobOptions.REGISTRY_MAX_BACKOFF, Duration.ofMillis(500));
            String tickets = options.get(JobOptions.TICKETS_TOPIC);
            SampleEvents samples = new SampleEvents(12);
            List<String> ids = new ArrayList<>();
            List<byte[]> values = new ArrayList<>();
            try (AvroKafkaSerializer<Object> serializer = serializer()) {
                for (int i = 0; i < 6; i++) {
                    Ticket ticket = samples.ticket("o-" + i);
                    ids.add(ticket.getId());
                    values.add(serializer.serialize(tickets, ticket));
                }
            }
            KafkaClients.produce(KAFKA.kafka().bootstrapServers(), tickets, values);
            outage.cut();

            CompletableFuture<Void> job = CompletableFuture.runAsync(() -> {
                try {
                    ItOptions.runBounded(options, "registry-outage");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(8_000);
            String bootstrap = KAFKA.kafka().bootstrapServers();
            assertThat(job).as("waiting for the registry, not finished").isNotDone();
            assertThat(KafkaClients.readCommitted(bootstrap, "dead-letters-outage")).as("nothing dead-lettered")
                    .isEmpty();

            outage.restore();
            job.get(3, TimeUnit.MINUTES);
            List<GenericRecord> labelled = Stream.of("routing-outage", "review-outage")
                    .flatMap(topic -> readRegistryFramed(bootstrap, topic).stream()).toList();
            assertThat(labelled).extracting(event -> event.get("sourceId").toString())
                    .containsExactlyInAnyOrderElementsOf(ids);
            assertThat(KafkaClients.readCommitted(bootstrap, "dead-letters-outage")).isEmpty();
        }
    }

    private static Configuration options(String suffix, String registryUrl) throws Exception {
        Configuration options = ItOptions.of(KAFKA.kafka(), suffix)
                .set(JobOptions.TICKETS_FORMAT, "registry-avro")
                .set(JobOptions.OUTPUT_FORMAT, "registry-avro")
                .set(JobOptions.REGISTRY_URL, registryUrl);
        ItOptions.createTopics(KAFKA.kafka(), options);
        return options;
    }

    /** Apicurio's serializer as a Confluent-compatible producer would be set up: id in the payload, not headers. */
    private static AvroKafkaSerializer<Object> serializer() {
        AvroKafkaSerializer<Object> serializer = new AvroKafkaSerializer<>();
        serializer.configure(Map.of(
                SerdeConfig.REGISTRY_URL, registry.apicurioUrl(),
                SerdeConfig.AUTO_REGISTER_ARTIFACT, true,
                SerdeConfig.ENABLE_HEADERS, false,
                SerdeConfig.ENABLE_CONFLUENT_ID_HANDLER, true,
                SerdeConfig.USE_ID, "contentId"), false);
        return serializer;
    }

    private static List<GenericRecord> readRegistryFramed(String bootstrap, String topic) {
        try (AvroKafkaDeserializer<GenericRecord> deserializer = new AvroKafkaDeserializer<>()) {
            deserializer.configure(Map.of(
                    SerdeConfig.REGISTRY_URL, registry.apicurioUrl(),
                    SerdeConfig.ENABLE_HEADERS, false,
                    SerdeConfig.ENABLE_CONFLUENT_ID_HANDLER, true,
                    SerdeConfig.USE_ID, "contentId"), false);
            return KafkaClients.readCommitted(bootstrap, topic).stream()
                    .map(value -> deserializer.deserialize(topic, value)).toList();
        }
    }

    /** The ticket as a record of a newer ticket schema, one with a priority field. */
    private static GenericRecord withPriority(Ticket ticket, String priority) {
        Schema ours = Ticket.getClassSchema();
        List<Schema.Field> fields = new ArrayList<>();
        for (Schema.Field field : ours.getFields()) {
            fields.add(new Schema.Field(field, field.schema()));
        }
        fields.add(new Schema.Field("priority", Schema.create(Schema.Type.STRING), "how urgent", "normal"));
        Schema newer = Schema.createRecord(ours.getName(), ours.getDoc(), ours.getNamespace(), false, fields);
        GenericRecord record = new GenericData.Record(newer);
        for (Schema.Field field : ours.getFields()) {
            Object value = ticket.get(field.pos());
            // Plain generic records know no logical types: a time is its epoch milliseconds.
            record.put(field.name(), value instanceof Instant instant ? instant.toEpochMilli() : value);
        }
        record.put("priority", priority);
        return record;
    }

    private static String subjects() throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(registry.confluentUrl()
                + "/subjects")).build(), HttpResponse.BodyHandlers.ofString()).body();
    }
}
