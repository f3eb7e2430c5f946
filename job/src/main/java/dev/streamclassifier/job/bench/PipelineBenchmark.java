package dev.streamclassifier.job.bench;

import dev.streamclassifier.job.ClassifierJob;
import dev.streamclassifier.job.ClassifierOptions;
import dev.streamclassifier.job.EmbeddedKafka;
import dev.streamclassifier.job.EventKind;
import dev.streamclassifier.job.KafkaClients;
import dev.streamclassifier.job.KafkaConnectors;
import dev.streamclassifier.job.SampleEvents;
import dev.streamclassifier.schemas.ClassifiedEvent;
import dev.streamclassifier.schemas.SingleObjectCodec;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/**
 * The texts as events through the real job: produced to an in-process broker, classified on a local mini-cluster,
 * read back {@code read_committed}. Two modes: throughput (all events waiting before the job starts) and latency (events
 * offered at a fixed rate while the job runs).
 */
final class PipelineBenchmark implements AutoCloseable {
    private static final String OUTPUT = "bench-out";
    private static final String REVIEW = "bench-review";
    private static final String DEAD = "bench-dead-letters";

    private final EmbeddedKafka kafka;
    private final String model;
    private final EventKind kind;
    private final int batch;
    private final int threads;
    private final int parallelism;
    private final Duration maxBatchDelay;
    private final List<String> extraOptions;

    PipelineBenchmark(String model, EventKind kind, int batch, int threads, int parallelism, Duration maxBatchDelay,
            List<String> extraOptions) throws Exception {
        this.model = model;
        this.kind = kind;
        this.batch = batch;
        this.threads = threads;
        this.parallelism = parallelism;
        this.maxBatchDelay = maxBatchDelay;
        this.extraOptions = extraOptions;
        this.kafka = EmbeddedKafka.start(null);
    }

    /** What one run saw. Latencies are per event, in milliseconds. */
    record Result(long events, double textsPerSecond, double[] processingLatencyMs, double[] visibleLatencyMs,
            double meanBatchSize) {}

    private ClassifierOptions options(String run) {
        String kindKey = kind.name().toLowerCase(Locale.ROOT);
        List<String> args = new ArrayList<>(List.of(
                "--kafka.bootstrap-servers", kafka.bootstrapServers(),
                "--kafka.group-id", "bench-" + run,
                "--topic.emails", "emails-" + run, "--topic.tickets", "tickets-" + run, "--topic.chats", "chats-" + run,
                "--tasks.email", "", "--tasks.ticket", "", "--tasks.chat", "",
                "--tasks." + kindKey, "bench",
                "--task.models", "bench:" + model,
                "--task.topics", "bench:" + OUTPUT + "-" + run,
                "--topic.review", REVIEW + "-" + run,
                "--topic.dead-letter", DEAD + "-" + run,
                "--classifier.batch.max-size", Integer.toString(batch),
                "--classifier.batch.max-delay", maxBatchDelay.toMillis() + " ms",
                "--classifier.intra-op-threads", Integer.toString(threads),
                "--parallelism", Integer.toString(parallelism),
                "--checkpoint.interval", "1 s",
                "--sink.transactional-id-prefix", "bench-" + run));
        args.addAll(extraOptions);
        return ClassifierOptions.fromArgs(args.toArray(String[]::new)).validate();
    }

    private List<String> outputTopics(String run) {
        return List.of(OUTPUT + "-" + run, REVIEW + "-" + run, DEAD + "-" + run);
    }

    /**
     * The job runs flat out: events are produced as fast as the producer can while the job runs and a consumer reads
     * the output, the same load the latency run puts on these two cores, so that 70% of this is a fair offer.
     */
    Result throughput(List<String> texts) throws Exception {
        return latency(texts, Double.POSITIVE_INFINITY, null);
    }

    /**
     * Events offered at {@code ratePerSecond} (infinite: as fast as possible) while the job runs; the time a consumer
     * sees each one is recorded.
     */
    Result latency(List<String> texts, double ratePerSecond, LongConsumer progress) throws Exception {
        String run = "l" + UUID.randomUUID().toString().substring(0, 8);
        ClassifierOptions options = options(run);
        createTopics(options, run);
        String topic = options.inputTopics().get(kind);
        JobClient job = start(options, false);
        Thread producerThread = new Thread(() -> {
            SampleEvents samples = new SampleEvents(2);
            long intervalNanos = Double.isInfinite(ratePerSecond) ? 0 : (long) (1e9 / ratePerSecond);
            // Start once the job is up, so its start-up is not counted as latency.
            long next = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            try (KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(kafka.bootstrapServers())) {
                for (int i = 0; i < texts.size(); i++) {
                    long wait = next - System.nanoTime();
                    if (wait > 0) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                    next += intervalNanos;
                    producer.send(new ProducerRecord<>(topic, encode(samples, "e-" + i, texts.get(i))));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "bench-producer");
        producerThread.start();
        Result result = collect(run, texts.size(), progress);
        producerThread.join();
        job.cancel().get(60, TimeUnit.SECONDS);
        return result;
    }

    private byte[] encode(SampleEvents samples, String id, String text) {
        return switch (kind) {
            case CHAT -> samples.avro(samples.chat(id, text));
            case TICKET -> samples.avro(samples.ticket(id, text));
            case EMAIL -> samples.avro(dev.streamclassifier.schemas.Email.newBuilder(samples.email(id))
                    .setSubject("").setBody(text).build());
        };
    }

    private void createTopics(ClassifierOptions options, String run) throws Exception {
        List<String> topics = new ArrayList<>(options.inputTopics().values());
        topics.addAll(outputTopics(run));
        kafka.createTopics(topics, Math.max(1, parallelism));
    }

    private JobClient start(ClassifierOptions options, boolean bounded) throws Exception {
        Configuration configuration = new Configuration();
        configuration.set(TaskManagerOptions.NUM_TASK_SLOTS, Math.max(1, parallelism));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(configuration);
        env.setParallelism(1);
        ClassifierJob.configureCheckpointing(env, options);
        KafkaConnectors connectors = new KafkaConnectors(options, bounded);
        ClassifierJob.buildPipeline(env, options, connectors, connectors);
        return env.executeAsync("bench " + model);
    }

    /** Reads every output back as committed, recording for each event when it was classified and when it was seen. */
    private Result collect(String run, int expected, LongConsumer progress) throws IOException {
        SingleObjectCodec<ClassifiedEvent> codec = SingleObjectCodec.of(ClassifiedEvent.getClassSchema());
        List<Double> processing = new ArrayList<>();
        List<Double> visible = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        long first = Long.MAX_VALUE;
        long last = 0;
        long batchSizes = 0;
        long deadLetters = 0;
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(30);
        try (KafkaConsumer<byte[], byte[]> consumer = KafkaClients.readCommittedConsumer(kafka.bootstrapServers())) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : outputTopics(run)) {
                consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            while (seen.size() + deadLetters < expected && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                    long now = System.currentTimeMillis();
                    if (record.topic().startsWith(DEAD)) {
                        deadLetters++;
                        continue;
                    }
                    ClassifiedEvent event = codec.decode(record.value());
                    if (!seen.add(event.getSourceId())) {
                        continue;
                    }
                    long processedAt = event.getProcessedAt().toEpochMilli();
                    long eventTime = event.getEventTime().toEpochMilli();
                    first = Math.min(first, processedAt);
                    last = Math.max(last, processedAt);
                    batchSizes += event.getBatchSize();
                    processing.add((double) (processedAt - eventTime));
                    visible.add((double) (now - eventTime));
                }
                if (progress != null) {
                    progress.accept(seen.size() + deadLetters);
                }
            }
        }
        if (seen.size() + deadLetters < expected) {
            throw new IllegalStateException("Only " + (seen.size() + deadLetters) + " of " + expected
                    + " events came out of the pipeline within 30 minutes");
        }
        // Output timestamps mark the end of each batch: the first batch's events came out at 'first', so the span
        // from first to last covers every event after the first batch.
        double meanBatch = seen.isEmpty() ? 0 : (double) batchSizes / seen.size();
        double span = Math.max(1, last - first) / 1000.0;
        double rate = Math.max(0, seen.size() - meanBatch) / span;
        return new Result(seen.size() + deadLetters, rate, sorted(processing), sorted(visible), meanBatch);
    }

    private static double[] sorted(List<Double> values) {
        double[] array = values.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(array);
        return array;
    }

    @Override
    public void close() throws Exception {
        kafka.close();
    }
}
