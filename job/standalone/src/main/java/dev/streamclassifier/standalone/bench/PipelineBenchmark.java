package dev.streamclassifier.standalone.bench;

import dev.streamclassifier.job.config.JobConfig;
import dev.streamclassifier.job.config.JobOptions;
import dev.streamclassifier.job.event.EventKind;
import dev.streamclassifier.schemas.ChatMessage;
import dev.streamclassifier.schemas.ClassifiedEvent;
import dev.streamclassifier.schemas.DeadLetter;
import dev.streamclassifier.schemas.Email;
import dev.streamclassifier.schemas.SingleObjectCodec;
import dev.streamclassifier.schemas.Ticket;
import dev.streamclassifier.standalone.LocalJob;
import dev.streamclassifier.testkit.EmbeddedKafka;
import dev.streamclassifier.testkit.KafkaClients;
import dev.streamclassifier.testkit.SampleEvents;
import dev.streamclassifier.testkit.TopicReader;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.io.IOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import java.util.function.ToDoubleFunction;

/**
 * The texts as events through the real job: produced to an in-process broker, classified on a local mini-cluster,
 * read back {@code read_committed}. Two modes: throughput (events produced as fast as the producer can) and latency
 * (events offered at a fixed rate); both after a warm-up of the same job.
 */
final class PipelineBenchmark implements AutoCloseable {
    private static final String OUTPUT = "bench-out";
    private static final String REVIEW = "bench-review";
    private static final String DEAD = "bench-dead-letters";
    private static final int WARMUP_ROUND = 2_000;
    private static final double JIT_QUIET = 0.05;
    private static final int QUIET_WINDOW_SECONDS = 10;
    /** Long enough for the JIT-quiet rule on a fast host; on a slow one the compiler may never go quiet. */
    private static final int MAX_WARMUP_SECONDS = 150;

    private final EmbeddedKafka kafka;
    private final String model;
    private final EventKind kind;
    /** Decodes this run's input events (all three schemas have an {@code id}), to tell a dead letter's phase. */
    private final SingleObjectCodec<SpecificRecordBase> inputs;
    /** The job options the bench was given; each run adds its own topics, group and transactional ids. */
    private final Configuration jobOptions;
    private final int inputLingerMs;
    /** Keys of the input events, or null for none (Kafka and the job then spread them evenly). */
    private final InputKeys keys;
    /** The job every measurement runs on, its run id (in topic names) and input topic; started by the first one. */
    private JobClient job;
    private String run;
    private String topic;
    /** Numbers each warm-up round and measured pass, so that event ids never repeat. */
    private int phases;
    /** A version in the model store to activate half-way through the latency run; null: none. */
    private String switchVersion;
    /** When that update was published (epoch ms); 0 before. */
    private volatile long switchedAtMs;

    /**
     * @param inputLingerMs the {@code linger.ms} of the bench's own producer of input events
     * @param keys the input events' keys, or null for none
     */
    PipelineBenchmark(String model, EventKind kind, Configuration jobOptions, int inputLingerMs, InputKeys keys)
            throws Exception {
        this.keys = keys;
        this.model = model;
        this.kind = kind;
        this.jobOptions = jobOptions;
        this.inputLingerMs = inputLingerMs;
        this.inputs = SingleObjectCodec.<SpecificRecordBase>of(switch (kind) {
            case CHAT -> ChatMessage.getClassSchema();
            case TICKET -> Ticket.getClassSchema();
            case EMAIL -> Email.getClassSchema();
        });
        this.kafka = LocalJob.startKafkaQuietly();
    }

    /**
     * What one run saw. Latencies are per event, in milliseconds, sorted; {@code timeline} holds the same events in
     * the order they were produced. {@code coresBusy} is the process's CPU over wall time while a fixed rate was
     * offered, NaN for a flat-out pass.
     */
    record Result(long events, double textsPerSecond, double[] processingLatencyMs, double[] visibleLatencyMs,
            double meanBatchSize, int warmupEvents, Map<String, Double> cpuShares, double coresBusy,
            List<Timed> timeline) {
        Result withCpu(int warmup, Map<String, Double> shares, double cores) {
            return new Result(events, textsPerSecond, processingLatencyMs, visibleLatencyMs, meanBatchSize, warmup,
                    shares, cores, timeline);
        }
    }

    /**
     * One event: when it was produced (epoch ms), its latencies to classified and to visible, in ms, and the model
     * version that classified it.
     */
    record Timed(long producedAtMs, double processingMs, double visibleMs, String modelVersion) {}

    /** The job's options for this run: only the measured model, on topics of the run's own. */
    private JobConfig config() {
        Configuration options = new Configuration(jobOptions);
        String kindKey = kind.name().toLowerCase(Locale.ROOT);
        options.set(JobOptions.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
        options.set(JobOptions.GROUP_ID, "bench-" + run);
        options.set(JobOptions.EMAILS_TOPIC, "emails-" + run);
        options.set(JobOptions.TICKETS_TOPIC, "tickets-" + run);
        options.set(JobOptions.CHATS_TOPIC, "chats-" + run);
        options.set(JobOptions.EMAIL_TASKS, List.of());
        options.set(JobOptions.TICKET_TASKS, List.of());
        options.set(JobOptions.CHAT_TASKS, List.of());
        options.setString("tasks." + kindKey, "bench");
        options.set(JobOptions.TASK_MODELS, Map.of("bench", model));
        options.set(JobOptions.TASK_TOPICS, Map.of("bench", OUTPUT + "-" + run));
        options.set(JobOptions.REVIEW_TOPIC, REVIEW + "-" + run);
        options.set(JobOptions.DEAD_LETTER_TOPIC, DEAD + "-" + run);
        options.set(JobOptions.TRANSACTIONAL_ID_PREFIX, "bench-" + run);
        options.set(JobOptions.MODEL_UPDATES_TOPIC, "model-updates-" + run);
        options.set(JobOptions.MODEL_EVENTS_TOPIC, "model-events-" + run);
        return LocalJob.config(options);
    }

    private List<String> outputTopics() {
        return List.of(OUTPUT + "-" + run, REVIEW + "-" + run, DEAD + "-" + run);
    }

    /**
     * The job runs flat out: events are produced as fast as the producer can while the job runs and a consumer reads
     * the output, the same load the latency run puts on these two cores, so that 70% of this is a fair offer. After
     * the warm-up, {@code rounds} passes over the texts are measured one after another on the same job.
     */
    List<Result> throughput(List<String> texts, int minWarmupEvents, int rounds) throws Exception {
        return measure(texts, Double.POSITIVE_INFINITY, minWarmupEvents, rounds, null);
    }

    /**
     * Events offered at {@code ratePerSecond} while the job runs; the time a consumer sees each one is recorded.
     * First the job is warmed up (see {@link #warmUp}); those events are not counted. After a throughput run this is
     * the same job, as a deployed job sees its load change; it is warmed up again because small batches take code
     * paths that full ones do not.
     */
    Result latency(List<String> texts, double ratePerSecond, int minWarmupEvents, LongConsumer progress)
            throws Exception {
        return measure(texts, ratePerSecond, minWarmupEvents, 1, progress).get(0);
    }

    private List<Result> measure(List<String> texts, double ratePerSecond, int minWarmupEvents, int rounds,
            LongConsumer progress) throws Exception {
        if (job == null) {
            run = "l" + UUID.randomUUID().toString().substring(0, 8);
            JobConfig config = config();
            List<String> topics = new ArrayList<>(config.sources().topics().values());
            topics.addAll(outputTopics());
            kafka.createTopics(topics, config.parallelism().orElse(1));
            if (config.modelUpdates() != null) {
                kafka.createTopics(List.of(config.modelUpdates().updatesTopic(),
                        config.modelUpdates().eventsTopic()), 1);
            }
            topic = config.sources().topics().get(kind);
            job = LocalJob.start(config, "bench " + model, 0);
        }
        List<Result> results = new ArrayList<>();
        try (TopicReader consumer = outputReader(true)) {
            int warmupEvents = minWarmupEvents > 0 ? warmUp(consumer, texts, minWarmupEvents, ratePerSecond) : 0;
            // From the end of what is committed now, so that the measured run does not decode the warm-up's output;
            // only the warm-up's last round may still be uncommitted, and is then read and skipped in the first pass.
            consumer.skipToEnd();
            for (int round = 0; round < rounds; round++) {
                // Event ids are unique over the bench's phases: each phase reads only its own outputs.
                String prefix = "e" + phases++ + "-";
                CpuSplit before = CpuSplit.snapshot();
                // The switch belongs to the latency run (a fixed rate); throughput passes run on one version.
                Offer offer = produce(texts, prefix, ratePerSecond, true,
                        switchVersion != null && !Double.isInfinite(ratePerSecond));
                Result result = collect(consumer, null, prefix, texts.size(), progress);
                offer.thread.join();
                // Flat out, the job lags the producer: a pass's CPU is counted until its output is read, which takes
                // in the start delay and the wait for the last commit, so its cores busy would read low. At a fixed
                // rate the offered span is the load.
                results.add(Double.isInfinite(ratePerSecond) || offer.atLastSend == null
                        ? result.withCpu(warmupEvents, CpuSplit.between(before, CpuSplit.snapshot()), Double.NaN)
                        : result.withCpu(warmupEvents, CpuSplit.between(offer.atFirstSend, offer.atLastSend),
                                CpuSplit.coresBusy(offer.atFirstSend, offer.atLastSend)));
            }
        }
        return results;
    }

    /**
     * Sends events through the job at the rate the measurement will offer (as fast as it takes them for the
     * throughput run), in rounds of {@value #WARMUP_ROUND}, at least
     * {@code minEvents} and then until the JIT compiler was busy less than {@value #JIT_QUIET} of one core's time
     * over the last {@value #QUIET_WINDOW_SECONDS} s, or {@value #MAX_WARMUP_SECONDS} s have passed. The raw run is
     * measured warm, and a job that runs for hours spends next to nothing on compiling; with a broker, Flink and the
     * clients in one JVM a cold pipeline compiles for minutes, in bursts, so a window of several rounds, not one,
     * tells a quiet compiler from a lull. The rate matters: at a partial load batches are small and take code paths
     * that full batches do not. The measurement's {@code read_committed} reader reads along, so that the broker's
     * committed-read code is compiled before the measurement, not during it.
     *
     * @return how many events warmed the job up
     */
    private int warmUp(TopicReader committedReader, List<String> texts, int minEvents,
            double ratePerSecond) throws Exception {
        // Reads uncommitted output: a round ends when the job has written it, not at the next checkpoint.
        try (TopicReader consumer = outputReader(false)) {
            return warmUp(consumer, committedReader, texts, minEvents, ratePerSecond);
        }
    }

    private int warmUp(TopicReader consumer, TopicReader committedReader,
            List<String> texts, int minEvents, double ratePerSecond) throws Exception {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        long start = System.nanoTime();
        JitQuietWindow window = new JitQuietWindow(Duration.ofSeconds(QUIET_WINDOW_SECONDS), JIT_QUIET, start,
                jit.getTotalCompilationTime());
        int sent = 0;
        while (true) {
            List<String> round = new ArrayList<>(WARMUP_ROUND);
            for (int i = 0; i < WARMUP_ROUND; i++) {
                round.add(texts.get((sent + i) % texts.size()));
            }
            String prefix = "w" + phases++ + "-";
            Offer offer = produce(round, prefix, ratePerSecond, false, false);
            collect(consumer, committedReader, prefix, round.size(), null);
            offer.thread.join();
            sent += round.size();
            long now = System.nanoTime();
            JitQuietWindow.Reading jitReading = window.endRound(now, jit.getTotalCompilationTime());
            double seconds = (now - start) / 1e9;
            System.err.printf(Locale.ROOT, "  warm-up: %,d events in %.0f s; JIT compiler busy %.0f%% of a core in the "
                    + "last round, %.0f%% over the last %.0f s%n", sent, seconds, 100 * jitReading.roundShare(),
                    100 * jitReading.windowShare(), jitReading.windowSpan().toMillis() / 1e3);
            if (sent >= minEvents && (jitReading.quiet() || seconds > MAX_WARMUP_SECONDS)) {
                System.err.printf(Locale.ROOT, "  warm-up done (%s); measuring ...%n",
                        jitReading.quiet() ? "JIT compiler quiet" : "time limit");
                return sent;
            }
        }
    }

    /** A producer thread, and the process's CPU when it sent its first and its last event. */
    private static final class Offer {
        Thread thread;
        volatile CpuSplit atFirstSend;
        volatile CpuSplit atLastSend;
    }

    /**
     * Activates {@code version} of the model from the model store half-way through the latency run, to measure the
     * latency around a live switch.
     */
    void switchModelMidway(String version) {
        this.switchVersion = version;
    }

    /** When the switch was published (epoch ms), or 0. */
    long switchedAtMs() {
        return switchedAtMs;
    }

    /**
     * Sends the texts as events with ids {@code prefix + index}, at the given rate, from a thread of its own; with
     * {@code switchMidway}, publishes the model update half-way, from another thread so the offer keeps its pace.
     */
    private Offer produce(List<String> texts, String prefix, double ratePerSecond, boolean delayStart,
            boolean switchMidway) {
        Offer offer = new Offer();
        offer.thread = new Thread(() -> {
            SampleEvents samples = new SampleEvents(2);
            long intervalNanos = Double.isInfinite(ratePerSecond) ? 0 : (long) (1e9 / ratePerSecond);
            // Start once the job is up (and settled after a warm-up burst), so neither counts as latency.
            long next = System.nanoTime() + (delayStart ? TimeUnit.SECONDS.toNanos(2) : 0);
            try (KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(KafkaClients.client(kafka.bootstrapServers()),
                    inputLingerMs)) {
                for (int i = 0; i < texts.size(); i++) {
                    long wait = next - System.nanoTime();
                    if (wait > 0) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                    next += intervalNanos;
                    if (i == 0) {
                        offer.atFirstSend = CpuSplit.snapshot();
                    }
                    if (switchMidway && i == texts.size() / 2) {
                        publishSwitch();
                    }
                    producer.send(new ProducerRecord<>(topic, keys == null ? null : keys.next(),
                            encode(samples, prefix + i, texts.get(i))));
                }
                offer.atLastSend = CpuSplit.snapshot();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "bench-producer");
        // A failed run must not be kept alive by a rate-limited producer.
        offer.thread.setDaemon(true);
        offer.thread.start();
        return offer;
    }

    private void publishSwitch() {
        String update = "{\"model\": \"" + model + "\", \"version\": \"" + switchVersion
                + "\", \"action\": \"activate\"}";
        switchedAtMs = System.currentTimeMillis();
        Thread publisher = new Thread(() -> KafkaClients.produce(kafka.bootstrapServers(),
                config().modelUpdates().updatesTopic(), List.of(update.getBytes(StandardCharsets.UTF_8))),
                "bench-model-switch");
        publisher.setDaemon(true);
        publisher.start();
    }

    private byte[] encode(SampleEvents samples, String id, String text) {
        return switch (kind) {
            case CHAT -> samples.avro(samples.chat(id, text));
            // The text is the whole ticket, as in the raw run: no subject line added in front.
            case TICKET -> samples.avro(Ticket.newBuilder(samples.ticket(id, text))
                    .setSubject("").build());
            case EMAIL -> samples.avro(Email.newBuilder(samples.email(id))
                    .setSubject("").setBody(text).build());
        };
    }

    /** A reader of the job's outputs from their end now: it sees what is produced after this call. */
    private TopicReader outputReader(boolean readCommitted) {
        return TopicReader.fromEnd(KafkaClients.client(kafka.bootstrapServers()), outputTopics(), readCommitted);
    }

    /**
     * Reads outputs back as committed until {@code expected} events with ids starting with {@code prefix} came out,
     * recording for each when it was classified and when it was seen. Outputs of other events are skipped. During
     * the warm-up, {@code alongside} (the measurement's {@code read_committed} reader) is polled too, so that the
     * broker's and the client's committed-read code is compiled before the measurement, not during it.
     */
    private Result collect(TopicReader consumer, TopicReader alongside,
            String prefix, int expected, LongConsumer progress) throws IOException {
        Outputs outputs = new Outputs(prefix);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(30);
        while (outputs.count() < expected && System.nanoTime() < deadline) {
            for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                outputs.add(record, System.currentTimeMillis());
            }
            if (alongside != null) {
                // Fetching is what needs compiling: the records are decoded by the same code as the main reader's.
                alongside.poll(Duration.ZERO);
            }
            if (progress != null) {
                progress.accept(outputs.count());
            }
        }
        if (outputs.count() < expected) {
            throw new IllegalStateException("Only " + outputs.count() + " of " + expected
                    + " events (" + prefix + "*) came out of the pipeline within 30 minutes");
        }
        return outputs.result();
    }

    /**
     * What came out for the events of one phase (ids starting with {@code prefix}). The work per record lives in
     * this small class rather than in {@link #collect}'s loop: the warm-up gets it compiled, where a long loop body
     * would be compiled again (on-stack replacement) inside the measured run.
     */
    private final class Outputs {
        private final String prefix;
        private final SingleObjectCodec<ClassifiedEvent> codec = SingleObjectCodec.of(ClassifiedEvent.getClassSchema());
        private final SingleObjectCodec<DeadLetter> deadLetterCodec = SingleObjectCodec.of(DeadLetter.getClassSchema());
        private final List<Timed> timeline = new ArrayList<>();
        private final Set<String> seen = new HashSet<>();
        private long first = Long.MAX_VALUE;
        private long last;
        private long batchSizes;
        private long deadLetters;

        Outputs(String prefix) {
            this.prefix = prefix;
        }

        long count() {
            return seen.size() + deadLetters;
        }

        void add(ConsumerRecord<byte[], byte[]> record, long now) throws IOException {
            if (record.topic().startsWith(DEAD)) {
                String id = sourceId(deadLetterCodec.decode(record.value()));
                if (id.isEmpty() || id.startsWith(prefix)) {
                    deadLetters++;
                }
                return;
            }
            ClassifiedEvent event = codec.decode(record.value());
            if (!event.getSourceId().startsWith(prefix) || !seen.add(event.getSourceId())) {
                return;
            }
            long processedAt = event.getProcessedAt().toEpochMilli();
            long eventTime = event.getEventTime().toEpochMilli();
            first = Math.min(first, processedAt);
            last = Math.max(last, processedAt);
            batchSizes += event.getBatchSize();
            timeline.add(new Timed(eventTime, processedAt - eventTime, now - eventTime,
                    event.getPredictions().get(0).getModelVersion()));
        }

        Result result() {
            // Output timestamps mark the end of each batch: the first batch's events came out at 'first', so the span
            // from first to last covers every event after the first batch.
            double meanBatch = seen.isEmpty() ? 0 : (double) batchSizes / seen.size();
            double span = Math.max(1, last - first) / 1000.0;
            double rate = Math.max(0, seen.size() - meanBatch) / span;
            timeline.sort(Comparator.comparingLong(Timed::producedAtMs));
            return new Result(count(), rate, sorted(timeline, Timed::processingMs), sorted(timeline, Timed::visibleMs),
                    meanBatch, 0, Map.of(), Double.NaN, List.copyOf(timeline));
        }
    }

    /** The id of the event a dead letter holds, or "" (counted in every phase) when its bytes do not decode. */
    private String sourceId(DeadLetter deadLetter) {
        try {
            java.nio.ByteBuffer buffer = deadLetter.getValue() == null ? java.nio.ByteBuffer.allocate(0)
                    : deadLetter.getValue().duplicate();
            byte[] value = new byte[buffer.remaining()];
            buffer.get(value);
            return String.valueOf(inputs.decode(value).get("id"));
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    private static double[] sorted(List<Timed> events, ToDoubleFunction<Timed> latency) {
        double[] array = events.stream().mapToDouble(latency).toArray();
        Arrays.sort(array);
        return array;
    }

    @Override
    public void close() throws Exception {
        try {
            if (job != null) {
                job.cancel().get(60, TimeUnit.SECONDS);
            }
        } finally {
            kafka.close();
        }
    }
}
