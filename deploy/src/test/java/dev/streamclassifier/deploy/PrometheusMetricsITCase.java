package dev.streamclassifier.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.streamclassifier.job.ClassifierJob;
import dev.streamclassifier.job.ItOptions;
import dev.streamclassifier.job.TestModelStore;
import dev.streamclassifier.job.config.JobConfig;
import dev.streamclassifier.job.config.JobOptions;
import dev.streamclassifier.job.event.EventKind;
import dev.streamclassifier.job.kafka.KafkaSources;
import dev.streamclassifier.job.sink.OutputSink;
import dev.streamclassifier.job.text.PiiMasker;
import dev.streamclassifier.schemas.ChatMessage;
import dev.streamclassifier.schemas.ModelEvent;
import dev.streamclassifier.schemas.SingleObjectCodec;
import dev.streamclassifier.testkit.EmbeddedKafka;
import dev.streamclassifier.testkit.KafkaClients;
import dev.streamclassifier.testkit.SampleEvents;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The job's metrics as Prometheus scrapes them: the job runs on a mini-cluster with Flink's Prometheus reporter
 * (configured as in {@code deploy/flink/config.yaml}), and this test reads {@code /metrics} until every input is
 * counted, then checks each metric's value against what was fed in: records in and out, batch size, inference and
 * end-to-end latency, label counts per task, dead letters (decode and inference), needs-review and truncated inputs.
 * It also checks that every metric the Grafana dashboard in {@code deploy/grafana} queries is exported.
 */
class PrometheusMetricsITCase {
    private static final Logger LOG = LoggerFactory.getLogger(PrometheusMetricsITCase.class);
    private static final String OPERATOR = "flink_taskmanager_job_task_operator_";
    private static final int TICKETS = 60;
    private static final int CHATS = 60;
    private static final int CORRUPT = 5;
    private static final int PROMETHEUS_PORT = freePort();

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder()
                    .setConfiguration(reporterConfiguration())
                    .setNumberTaskManagers(1)
                    .setNumberSlotsPerTaskManager(1)
                    .build());

    private static EmbeddedKafka kafka;

    @BeforeAll
    static void startKafka() throws Exception {
        kafka = EmbeddedKafka.start();
    }

    @AfterAll
    static void stopKafka() throws Exception {
        kafka.close();
    }

    private static Configuration reporterConfiguration() {
        Configuration configuration = new Configuration();
        try {
            Map<String, String> deployed = StandaloneFlinkCluster.readFlatYaml(
                    StandaloneClusterITCase.deployDir().resolve("flink/config.yaml"));
            deployed.forEach((key, value) -> {
                if (key.startsWith("metrics.reporter.")) {
                    configuration.setString(key, value);
                }
            });
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        configuration.setString("metrics.reporter.prom.port", Integer.toString(PROMETHEUS_PORT));
        return configuration;
    }

    @Test
    void everyJobMetricIsScrapedWithTheValueTheInputsImply(@TempDir Path storeDir) throws Exception {
        // A second chat-moderation version in shadow on every chat, so the model-lifecycle metrics are there too.
        TestModelStore store = new TestModelStore(storeDir);
        store.add("chat-moderation", "2.0.0");
        Configuration options = ItOptions.of(kafka, "prom").set(JobOptions.MODEL_STORE, store.uri());
        ItOptions.createTopics(kafka, options);
        KafkaClients.produce(kafka.bootstrapServers(), options.get(JobOptions.MODEL_UPDATES_TOPIC),
                List.of("{\"model\": \"chat-moderation\", \"version\": \"2.0.0\", \"action\": \"shadow\", "
                        .concat("\"shadowShare\": 1.0}").getBytes(StandardCharsets.UTF_8)));
        SampleEvents samples = new SampleEvents(5);
        List<byte[]> tickets = new ArrayList<>();
        List<byte[]> chats = new ArrayList<>();
        for (int i = 0; i < TICKETS; i++) {
            tickets.add(samples.avro(samples.ticket("t-" + i)));
        }
        // One text far beyond the model's 128-token window: classified, flagged truncated.
        tickets.add(SampleEvents.json(samples.ticket("t-long", "My card payment failed again. ".repeat(200))));
        PiiMasker masker = new PiiMasker();
        int masks = 0;
        for (int i = 0; i < CHATS; i++) {
            ChatMessage chat = samples.chat("c-" + i);
            // Some sample spam gives a phone number: masked too.
            masks += masker.mask(chat.getText()).count();
            chats.add(SampleEvents.json(chat));
        }
        // Two values to mask in the text copied out: an e-mail address and a phone number.
        chats.add(SampleEvents.json(samples.chat("c-pii", "write to jane.doe@example.com or call +44 20 7946 0958")));
        masks += 2;
        for (int i = 0; i < CORRUPT; i++) {
            chats.add(("not an event " + i).getBytes(StandardCharsets.UTF_8));
        }
        int valid = TICKETS + 1 + CHATS + 1;

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        JobConfig config = JobConfig.from(options);
        ClassifierJob.configureEnvironment(env, config.checkpoints());
        // Unbounded, as in production: metrics exist only while the tasks run.
        KafkaSources sources = new KafkaSources(config.sources());
        ClassifierJob.buildPipeline(env, config, kind -> sources.read(env, kind), OutputSink.create(config.sink()));
        JobClient job = env.executeAsync("prometheus-metrics-it");
        Map<String, Double> metrics;
        String scrape;
        try {
            awaitShadow(options);
            KafkaClients.produce(kafka.bootstrapServers(), options.get(JobOptions.TICKETS_TOPIC), tickets);
            KafkaClients.produce(kafka.bootstrapServers(), options.get(JobOptions.CHATS_TOPIC), chats);
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            do {
                Thread.sleep(500);
                scrape = scrape();
                metrics = sumByName(scrape);
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("Prometheus never counted " + valid + " classified inputs:\n" + scrape);
                }
            // Records are counted in when buffered and out after their batch ran: wait for both.
            } while (metrics.getOrDefault(OPERATOR + "classifierRecordsIn", 0.0) < valid
                    || metrics.getOrDefault(OPERATOR + "classifierRecordsOut", 0.0) < valid
                    || metrics.getOrDefault(OPERATOR + "deadLetters", 0.0) < CORRUPT);
            // A scrape is not atomic: the last batch may have landed halfway through it. Everything is in now, so a
            // second scrape sees each metric at its final value.
            scrape = scrape();
            metrics = sumByName(scrape);
        } finally {
            job.cancel().get();
        }
        LOG.info("Scraped {} metric names from /metrics, e.g. {}", metrics.size(), metrics.keySet().stream()
                .filter(name -> name.startsWith(OPERATOR)).toList());

        assertThat(metrics.get(OPERATOR + "classifierRecordsIn")).isEqualTo(valid);
        // Every event goes to one topic here: its kind's task topic (scope and intent share routing's) or review.
        assertThat(metrics.get(OPERATOR + "classifierRecordsOut")).isEqualTo(valid);
        assertThat(metrics.get(OPERATOR + "deadLetters")).as("decode failures").isEqualTo(CORRUPT);
        assertThat(metrics.get(OPERATOR + "truncatedInputs")).isEqualTo(1);
        assertThat(metrics.get(OPERATOR + "piiMasked")).as("masks in copied texts").isEqualTo(masks);
        assertThat(metrics.get(OPERATOR + "needsReview")).isBetween(0.0, (double) valid);
        // One label count per task an event runs: per task, the events of the kinds that run it.
        Map<EventKind, Integer> eventsByKind = Map.of(EventKind.TICKET, TICKETS + 1, EventKind.CHAT, CHATS + 1);
        Map<String, Double> expectedPerTask = new LinkedHashMap<>();
        JobConfig.from(options).classify().tasks().byKind().forEach((kind, tasks) -> tasks.forEach(task ->
                expectedPerTask.merge(task, (double) eventsByKind.getOrDefault(kind, 0), Double::sum)));
        expectedPerTask.values().removeIf(count -> count == 0);
        Map<String, Double> perTask = new LinkedHashMap<>();
        labelCounts(scrape).forEach((key, count) -> perTask.merge(key.substring(0, key.indexOf('/')), count,
                Double::sum));
        assertThat(perTask).as("label counts per task").isEqualTo(expectedPerTask);
        assertThat(metrics.get(OPERATOR + "batchSize_count")).as("batches").isPositive();
        assertThat(metrics.get(OPERATOR + "inferenceMicros_count")).isEqualTo(metrics.get(OPERATOR + "batchSize_count"));
        assertThat(metrics.get(OPERATOR + "endToEndLatencyMs_count")).isEqualTo(valid);
        assertThat(quantile(scrape, "batchSize", "0.5")).isBetween(1.0, 32.0);
        assertThat(quantile(scrape, "inferenceMicros", "0.99")).isPositive();

        Map<String, Double> chatModerationRoles = byLabels(scrape, "models_model_version_role_modelVersion",
                "model", "version", "role");
        // The Prometheus reporter turns '-' and '.' in label values into '_'.
        chatModerationRoles.keySet().removeIf(key -> !key.startsWith("chat_moderation/"));
        chatModerationRoles.values().removeIf(value -> value == 0);
        assertThat(chatModerationRoles).as("serving versions: the starting one active, 2.0.0 in shadow, in\n%s", scrape.lines()
                        .filter(line -> line.contains("modelVersion")).collect(Collectors.joining("\n")))
                .hasSize(2).containsEntry("chat_moderation/2_0_0/shadow", 1.0)
                .allSatisfy((key, value) -> assertThat(value).isEqualTo(1.0));
        double compared = metrics.get(OPERATOR + "shadowCompared");
        assertThat(compared).as("every valid chat compared once").isEqualTo(CHATS + 1);
        assertThat(metrics.get(OPERATOR + "shadow_model_label_compared")).isEqualTo(compared);
        assertThat(metrics.get(OPERATOR + "shadowAgreed")).as("the same weights agree")
                .isBetween(0.95 * compared, compared);
        assertThat(metrics.get(OPERATOR + "shadowInferenceMicros_count")).isPositive();
        assertThat(metrics.get(OPERATOR + "cacheHits") + metrics.get(OPERATOR + "cacheMisses"))
                .as("one cache lookup per task an event runs").isGreaterThanOrEqualTo(valid);
        assertThat(metrics.get(OPERATOR + "modelVersionsRejected")).isZero();

        String scraped = scrape;
        Set<String> dashboardMetrics = dashboardMetricNames(
                StandaloneClusterITCase.deployDir().resolve("grafana/stream-classifier-dashboard.json"));
        assertThat(dashboardMetrics).isNotEmpty();
        assertThat(dashboardMetrics).as("metrics the Grafana dashboard queries")
                .allMatch(name -> scraped.contains("\n" + name + "{") || scraped.contains("\n" + name + " "));
    }

    /** Waits until the classify instance reports the shadow version running, on the model-events topic. */
    private static void awaitShadow(Configuration options) throws Exception {
        SingleObjectCodec<ModelEvent> codec = SingleObjectCodec.of(ModelEvent.getClassSchema());
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (true) {
            for (byte[] value : KafkaClients.readCommitted(kafka.bootstrapServers(),
                    options.get(JobOptions.MODEL_EVENTS_TOPIC))) {
                ModelEvent event = codec.decode(value);
                if (event.getOutcome().equals("SHADOWING")) {
                    return;
                }
                throw new AssertionError("the shadow version was not started: " + event);
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no model event within 90 s");
            }
            Thread.sleep(500);
        }
    }

    /** Every sample summed per metric name (over subtasks, tasks, labels); quantile lines are skipped. */
    static Map<String, Double> sumByName(String scrape) {
        Map<String, Double> sums = new LinkedHashMap<>();
        for (String line : scrape.split("\n")) {
            if (line.startsWith("#") || line.isBlank() || line.contains("quantile=")) {
                continue;
            }
            int brace = line.indexOf('{');
            int space = line.lastIndexOf(' ');
            String name = brace > 0 ? line.substring(0, brace) : line.substring(0, space);
            double value = Double.parseDouble(line.substring(space + 1));
            sums.merge(name, Double.isNaN(value) ? 0 : value, Double::sum);
        }
        return sums;
    }

    private static Map<String, Double> labelCounts(String scrape) {
        return byLabels(scrape, "labels_task_label_count", "task", "label");
    }

    /**
     * The samples of one operator metric summed per combination of {@code labels}, keyed by their values joined with
     * '/'; samples missing one of those labels are skipped.
     */
    private static Map<String, Double> byLabels(String scrape, String metric, String... labels) {
        Pattern line = Pattern.compile("^" + OPERATOR + metric + "\\{(.*)} (\\S+)$", Pattern.MULTILINE);
        Map<String, Double> sums = new LinkedHashMap<>();
        Matcher m = line.matcher(scrape);
        samples:
        while (m.find()) {
            List<String> values = new ArrayList<>();
            for (String label : labels) {
                Matcher value = Pattern.compile("(?:^|,)" + label + "=\"([^\"]*)\"").matcher(m.group(1));
                if (!value.find()) {
                    continue samples;
                }
                values.add(value.group(1));
            }
            sums.merge(String.join("/", values), Double.parseDouble(m.group(2)), Double::sum);
        }
        return sums;
    }

    private static double quantile(String scrape, String histogram, String quantile) {
        Pattern line = Pattern.compile("^" + OPERATOR + histogram + "\\{.*quantile=\"" + Pattern.quote(quantile)
                + "\".*} (\\S+)$", Pattern.MULTILINE);
        Matcher m = line.matcher(scrape);
        assertThat(m.find()).as(histogram + " quantile " + quantile + " in\n" + scrape).isTrue();
        return Double.parseDouble(m.group(1));
    }

    /** The metric names (flink_...) in the dashboard's PromQL expressions. */
    static Set<String> dashboardMetricNames(Path dashboard) throws IOException {
        JsonNode root = new ObjectMapper().readTree(dashboard.toFile());
        Set<String> names = new TreeSet<>();
        Pattern metric = Pattern.compile("flink_[a-zA-Z0-9_]+");
        for (JsonNode panel : root.path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                Matcher m = metric.matcher(target.path("expr").asText());
                while (m.find()) {
                    names.add(m.group());
                }
            }
        }
        return names;
    }

    private static String scrape() throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://localhost:" + PROMETHEUS_PORT + "/metrics"))
                .timeout(Duration.ofSeconds(10)).build();
        return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString()).body();
    }

    private static int freePort() {
        try {
            return StandaloneFlinkCluster.freePort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
