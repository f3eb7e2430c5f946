package dev.streamclassifier.standalone.bench;

import dev.streamclassifier.job.config.CommandLine;
import dev.streamclassifier.job.config.JobConfig;
import dev.streamclassifier.job.config.JobOptions;
import dev.streamclassifier.job.event.EventKind;
import dev.streamclassifier.job.event.RawRecord;
import dev.streamclassifier.schemas.ClassifiedEvent;
import dev.streamclassifier.schemas.SingleObjectCodec;
import dev.streamclassifier.standalone.LocalJob;
import dev.streamclassifier.testkit.EmbeddedKafka;
import dev.streamclassifier.testkit.KafkaClients;
import dev.streamclassifier.testkit.SampleEvents;
import dev.streamclassifier.testkit.TopicReader;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code java -jar stream-classifier.jar soak}: the job for minutes on end at a steady rate, with a failure injected
 * at fixed intervals (a task failure and a broker restart, in turn), its heap and resident memory sampled, and at the
 * end a {@code read_committed} read-back that must hold every event exactly once. Not part of the tests: it runs for
 * as long as it is told to.
 */
public final class SoakCommand {
    static final String USAGE = """
            usage: java -jar job/standalone/target/stream-classifier.jar soak [options]
              --minutes N       how long events are offered (default 30)
              --rate R          events per second (default 100)
              --fail-every M    minutes between injected failures: a task failure, then a broker restart, in
                                turn (default 5; 0: none)
              --report DIR      where soak.csv and soak-memory.png go (default soak-report)
              --JOB-OPTION V    any job option, e.g. --checkpoint.interval "2 s" (see 'options')""";

    /** Set to fail the next record's task once; the soak's own failure switch. */
    private static final AtomicBoolean FAIL_NEXT = new AtomicBoolean();
    private static final Duration SAMPLE_EVERY = Duration.ofSeconds(10);

    private SoakCommand() {}

    public static void main(String[] args) throws Exception {
        try {
            run(args, System.out);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage() + "\n\n" + USAGE);
            System.exit(2);
        }
        System.exit(0);
    }

    /** One memory sample and the counts at that moment. */
    private record Sample(double seconds, double heapMb, double rssMb, long produced, long committed) {}

    /** An injected failure and how long the output took to move again. */
    private record Failure(String kind, double atSeconds, double recoverySeconds) {}

    static void run(String[] args, PrintStream out) throws Exception {
        CommandLine line = CommandLine.parse(args, Set.of());
        if (line.takeSwitch("help")) {
            out.println(USAGE);
            return;
        }
        double minutes = line.takeNumber("minutes", 30, 0.1);
        int rate = line.takeInt("rate", 100, 1);
        double failEvery = line.takeNumber("fail-every", 5, 0);
        Path report = Path.of(line.take("report").orElse("soak-report"));
        Configuration options = line.jobOptions();
        System.setProperty("ai.djl.offline", "true");
        Files.createDirectories(report);

        try (EmbeddedKafka kafka = LocalJob.startKafkaQuietly()) {
            options.set(JobOptions.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
            options.set(JobOptions.TRANSACTIONAL_ID_PREFIX, "soak");
            JobConfig config = LocalJob.config(options);
            List<String> topics = new ArrayList<>(config.sources().topics().values());
            topics.addAll(config.outputTopics());
            kafka.createTopics(topics, config.parallelism().orElse(1));
            Configuration restarts = new Configuration();
            restarts.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
            restarts.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, Integer.MAX_VALUE);
            restarts.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofSeconds(1));
            JobClient job = LocalJob.start(config, "soak", 0, restarts,
                    input -> input.map(new FailOnDemand()).name("soak failure switch"));
            new Soak(kafka, config, rate, minutes, failEvery, report, out).run();
            job.cancel().get(60, TimeUnit.SECONDS);
        }
    }

    /** One soak run: the producer, the failures, the samples and the final count. */
    private static final class Soak {
        private final EmbeddedKafka kafka;
        private final JobConfig config;
        private final int rate;
        private final double minutes;
        private final double failEvery;
        private final Path report;
        private final PrintStream out;
        private final AtomicLong produced = new AtomicLong();
        private final AtomicBoolean producing = new AtomicBoolean(true);
        private final List<Sample> samples = new ArrayList<>();
        private final List<Failure> failures = new ArrayList<>();
        private final long startNanos = System.nanoTime();
        private final SingleObjectCodec<ClassifiedEvent> codec = SingleObjectCodec.of(ClassifiedEvent.getClassSchema());
        /** How often each event id came out, as far as the reader has read. */
        private final Map<String, Integer> seen = new HashMap<>();
        private long latestProcessedAt;

        Soak(EmbeddedKafka kafka, JobConfig config, int rate, double minutes, double failEvery, Path report,
                PrintStream out) {
            this.kafka = kafka;
            this.config = config;
            this.rate = rate;
            this.minutes = minutes;
            this.failEvery = failEvery;
            this.report = report;
            this.out = out;
        }

        private double elapsed() {
            return (System.nanoTime() - startNanos) / 1e9;
        }

        void run() throws Exception {
            Thread producer = new Thread(this::produce, "soak-producer");
            producer.setDaemon(true);
            producer.start();
            List<String> labelled = new ArrayList<>(config.outputTopics());
            labelled.remove(config.classify().output().deadLetterTopic());
            try (TopicReader reader = TopicReader.fromBeginning(KafkaClients.client(kafka.bootstrapServers()),
                    labelled, true)) {
                double nextSample = 0;
                double nextFailure = failEvery > 0 ? failEvery * 60 : Double.MAX_VALUE;
                Failure pending = null;
                while (producing.get() || count() < produced.get()) {
                    read(reader);
                    double now = elapsed();
                    if (pending != null && latestProcessedAt > startMillis() + pending.atSeconds * 1000) {
                        failures.add(new Failure(pending.kind, pending.atSeconds, now - pending.atSeconds));
                        pending = null;
                    }
                    if (producing.get() && now >= nextFailure && pending == null) {
                        pending = inject(failures.size() % 2 == 0 ? "task failure" : "broker restart", now);
                        nextFailure += failEvery * 60;
                    }
                    if (now >= nextSample) {
                        sample(now);
                        nextSample += SAMPLE_EVERY.toSeconds();
                    }
                    if (!producing.get() && now > minutes * 60 + 300) {
                        break;
                    }
                }
                if (pending != null) {
                    failures.add(new Failure(pending.kind, pending.atSeconds, Double.NaN));
                }
            }
            sample(elapsed());
            writeReport();
        }

        private long startMillis() {
            return System.currentTimeMillis() - (long) (elapsed() * 1000);
        }

        private Failure inject(String kind, double now) throws Exception {
            out.printf(Locale.ROOT, "[%6.0fs] injecting: %s%n", now, kind);
            if (kind.equals("task failure")) {
                FAIL_NEXT.set(true);
            } else {
                kafka.restartBrokers();
            }
            return new Failure(kind, now, Double.NaN);
        }

        private void read(TopicReader reader) throws IOException {
            for (ConsumerRecord<byte[], byte[]> record : reader.poll(Duration.ofMillis(200))) {
                ClassifiedEvent event = codec.decode(record.value());
                seen.merge(event.getSourceId(), 1, Integer::sum);
                latestProcessedAt = Math.max(latestProcessedAt, event.getProcessedAt().toEpochMilli());
            }
        }

        private long count() {
            return seen.size();
        }

        private void sample(double now) {
            // After a collection, what the heap holds is what lives: a leak shows as a rising floor.
            System.gc();
            double heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / 1e6;
            Sample sample = new Sample(now, heap, residentMb(), produced.get(), count());
            samples.add(sample);
            double left = Math.max(0, minutes * 60 - now);
            out.printf(Locale.ROOT, "[%6.0fs] produced %,d, out %,d | heap %.0f MB, RSS %.0f MB | failures %d | "
                    + "~%.0f s left%n", now, sample.produced, sample.committed, heap, sample.rssMb, failures.size(),
                    left);
        }

        private void produce() {
            SampleEvents events = new SampleEvents(5);
            Random random = new Random(5);
            Map<EventKind, String> topics = config.sources().topics();
            long interval = 1_000_000_000L / rate;
            long next = System.nanoTime();
            long end = next + (long) (minutes * 60e9);
            try (KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(kafka.bootstrapServers())) {
                for (long i = 0; System.nanoTime() < end; i++) {
                    String id = "s-" + i;
                    int roll = random.nextInt(10);
                    ProducerRecord<byte[], byte[]> record = roll < 4
                            ? new ProducerRecord<>(topics.get(EventKind.TICKET), key(id), events.avro(events.ticket(id)))
                            : roll < 6
                            ? new ProducerRecord<>(topics.get(EventKind.EMAIL), key(id), events.avro(events.email(id)))
                            : new ProducerRecord<>(topics.get(EventKind.CHAT), key(id), events.avro(events.chat(id)));
                    producer.send(record);
                    produced.incrementAndGet();
                    next += interval;
                    long wait = next - System.nanoTime();
                    if (wait > 0) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                producing.set(false);
            }
        }

        private static byte[] key(String id) {
            return id.getBytes(StandardCharsets.UTF_8);
        }

        private void writeReport() throws IOException {
            long lost = produced.get() - seen.size();
            long duplicated = seen.values().stream().filter(count -> count > 1).count();
            StringBuilder csv = new StringBuilder("seconds,heap_mb,rss_mb,produced,out\n");
            samples.forEach(s -> csv.append(String.format(Locale.ROOT, "%.0f,%.1f,%.1f,%d,%d%n", s.seconds, s.heapMb,
                    s.rssMb, s.produced, s.committed)));
            Files.writeString(report.resolve("soak.csv"), csv);
            double[] x = samples.stream().mapToDouble(s -> s.seconds / 60).toArray();
            new LineChart("Memory during the soak (failures every " + failEvery + " min)", "minutes", "MB", false)
                    .add("resident (RSS)", x, samples.stream().mapToDouble(Sample::rssMb).toArray())
                    .add("heap used after GC", x, samples.stream().mapToDouble(Sample::heapMb).toArray())
                    .write(report.resolve("soak-memory.png"));
            out.printf(Locale.ROOT, "%nSoak: %.1f min at %d events/s; %,d events produced, %,d out once, %,d lost, "
                    + "%,d duplicated%n", minutes, rate, produced.get(), seen.size() - duplicated, lost, duplicated);
            out.printf(Locale.ROOT, "Memory (second half): RSS %.0f -> %.0f MB (%+.1f MB/min), heap %+.1f MB/min%n",
                    secondHalf().get(0).rssMb, samples.get(samples.size() - 1).rssMb,
                    slope(Sample::rssMb), slope(Sample::heapMb));
            for (Failure failure : failures) {
                out.printf(Locale.ROOT, "Failure at %.0f s: %s; output moved again after %.1f s%n", failure.atSeconds,
                        failure.kind, failure.recoverySeconds);
            }
            out.println("Report: " + report.toAbsolutePath());
        }

        private List<Sample> secondHalf() {
            return samples.subList(samples.size() / 2, samples.size());
        }

        /** Least-squares slope over the second half of the run, in MB per minute: flat means no leak. */
        private double slope(java.util.function.ToDoubleFunction<Sample> value) {
            List<Sample> half = secondHalf();
            double n = half.size();
            double meanX = half.stream().mapToDouble(s -> s.seconds / 60).sum() / n;
            double meanY = half.stream().mapToDouble(value).sum() / n;
            double num = 0;
            double den = 0;
            for (Sample s : half) {
                double dx = s.seconds / 60 - meanX;
                num += dx * (value.applyAsDouble(s) - meanY);
                den += dx * dx;
            }
            return den == 0 ? 0 : num / den;
        }
    }

    /** The process's resident memory, from /proc; NaN where there is none. */
    private static double residentMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) / 1024.0;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return Double.NaN;
        }
        return Double.NaN;
    }

    /** Fails its task once when the soak asks. */
    private static final class FailOnDemand implements MapFunction<RawRecord, RawRecord> {
        private static final long serialVersionUID = 1L;

        @Override
        public RawRecord map(RawRecord record) {
            if (FAIL_NEXT.compareAndSet(true, false)) {
                throw new IllegalStateException("Soak: injected task failure at " + record);
            }
            return record;
        }
    }
}
