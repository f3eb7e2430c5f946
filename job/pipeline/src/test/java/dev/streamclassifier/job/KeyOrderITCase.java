package dev.streamclassifier.job;

import dev.streamclassifier.job.config.JobConfig;
import dev.streamclassifier.job.config.JobOptions;
import dev.streamclassifier.schemas.ClassifiedEvent;
import dev.streamclassifier.schemas.SingleObjectCodec;
import dev.streamclassifier.testkit.KafkaClients;
import dev.streamclassifier.testkit.SampleEvents;
import dev.streamclassifier.testkit.TopicReader;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Events of one conversation (one Kafka key) come out in the order they went in, at parallelism 2, over input and
 * output topics of several partitions, with a skewed key distribution (one conversation carries 40% of the messages):
 * per output topic, each key's events sit in one partition, in input order, each exactly once.
 */
class KeyOrderITCase {
    private static final int MESSAGES = 600;
    private static final int CONVERSATIONS = 20;
    private static final double HOT_SHARE = 0.4;

    @RegisterExtension
    static final MiniClusterExtension FLINK = KafkaExtension.flinkMiniCluster();

    @RegisterExtension
    static final KafkaExtension KAFKA = new KafkaExtension();

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void eachConversationKeepsItsOrderAndPartitionAtParallelismTwo() throws Exception {
        Configuration options = ItOptions.of(KAFKA.kafka(), "order")
                .set(JobOptions.PARALLELISM, 2)
                // Small batches that finish at different times on the two classifiers: reordering would show.
                .set(JobOptions.MAX_BATCH_SIZE, 8);
        JobConfig config = JobConfig.from(options);
        List<String> topics = new ArrayList<>(config.sources().topics().values());
        topics.addAll(config.outputTopics());
        KAFKA.kafka().createTopics(topics, 4);
        String chats = options.get(JobOptions.CHATS_TOPIC);
        SampleEvents samples = new SampleEvents(31);
        Random random = new Random(5);
        Map<String, Integer> sent = new HashMap<>();
        List<ProducerRecord<byte[], byte[]>> input = new ArrayList<>();
        for (int i = 0; i < MESSAGES; i++) {
            String conversation = "conv-" + (random.nextDouble() < HOT_SHARE ? 0
                    : 1 + random.nextInt(CONVERSATIONS - 1));
            int sequence = sent.merge(conversation, 1, Integer::sum);
            input.add(new ProducerRecord<>(chats, conversation.getBytes(StandardCharsets.UTF_8),
                    samples.avro(samples.chat(conversation + "/" + sequence))));
        }
        KafkaClients.produce(KafkaClients.client(KAFKA.kafka().bootstrapServers()), input);

        ItOptions.runBounded(options, "key-order");

        SingleObjectCodec<ClassifiedEvent> codec = SingleObjectCodec.of(ClassifiedEvent.getClassSchema());
        Set<String> seen = new HashSet<>();
        int out = 0;
        for (String topic : List.of(options.get(JobOptions.MODERATION_TOPIC), options.get(JobOptions.REVIEW_TOPIC))) {
            Map<String, Integer> lastSequence = new HashMap<>();
            Map<String, Integer> partitionOf = new HashMap<>();
            List<ConsumerRecord<byte[], byte[]>> records;
            try (TopicReader reader = TopicReader.fromBeginning(KafkaClients.client(KAFKA.kafka().bootstrapServers()),
                    List.of(topic), true)) {
                records = reader.readToEnd(Duration.ofSeconds(60));
            }
            for (ConsumerRecord<byte[], byte[]> record : records) {
                String id = decode(codec, record.value()).getSourceId();
                String conversation = id.substring(0, id.indexOf('/'));
                int sequence = Integer.parseInt(id.substring(id.indexOf('/') + 1));
                assertThat(new String(record.key(), StandardCharsets.UTF_8)).isEqualTo(conversation);
                assertThat(partitionOf.computeIfAbsent(conversation, c -> record.partition()))
                        .as("%s in one partition of %s", conversation, topic).isEqualTo(record.partition());
                // Records of one partition come in offset order: each key's sequence must rise.
                assertThat(sequence).as("%s after %s in %s", id, lastSequence.get(conversation), topic)
                        .isGreaterThan(lastSequence.getOrDefault(conversation, 0));
                lastSequence.put(conversation, sequence);
                assertThat(seen.add(id)).as("%s exactly once", id).isTrue();
                out++;
            }
        }
        assertThat(out).isEqualTo(MESSAGES);
        assertThat(sent.get("conv-0")).as("the hot conversation").isGreaterThan(MESSAGES / 3);
    }

    private static ClassifiedEvent decode(SingleObjectCodec<ClassifiedEvent> codec, byte[] value) {
        try {
            return codec.decode(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
