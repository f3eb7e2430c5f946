package dev.streamclassifier.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.streamclassifier.job.ClassifierJob;
import dev.streamclassifier.job.config.CommandLine;
import dev.streamclassifier.job.config.JobConfig;
import dev.streamclassifier.job.config.JobOptions;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.HighAvailabilityOptions;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.MetricOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Kubernetes manifests in deploy/k8s, checked without a cluster: each {@code FlinkDeployment} against the Flink
 * Kubernetes Operator's CRD schema (from {@code flink-kubernetes-operator-api}, with unknown fields rejected as
 * {@code kubectl}'s strict field validation does), and all of them against the job and the image: jar path, entry
 * class, options (parsed and validated by the job), parallelism vs. slots and cores, memory vs.
 * deploy/flink/config.yaml, Flink configuration keys that exist in Flink 2.2, the Strimzi topics vs. the job's topics,
 * and the PodMonitor vs. the pods' metrics port.
 *
 * <p>The newest operator API on Maven Central (1.10.0) predates Flink 2: its CRD lists flinkVersion values up to v1_20.
 * Operators from 1.11 on add v2_0, v2_1, ...; the test adds those values to the schema's enum and checks the rest as is.
 */
class DeployManifestsTest {
    private static final String JAR_URI = "local:///opt/flink/usrlib/stream-classifier.jar";
    private static final List<String> FLINK_2_VERSIONS = List.of("v2_0", "v2_1", "v2_2");
    private static final List<String> DEPLOYMENTS = List.of("flink-deployment.yaml", "flink-deployment-gpu.yaml");

    private static JsonNode crdSchema;
    private static Map<String, String> deployedConfig;

    @BeforeAll
    static void readSchemaAndConfig() throws Exception {
        try (InputStream crd = DeployManifestsTest.class.getResourceAsStream(
                "/META-INF/fabric8/flinkdeployments.flink.apache.org-v1.yml")) {
            assertThat(crd).as("the operator API jar's CRD").isNotNull();
            JsonNode definition = DeployFiles.JSON.valueToTree(new org.yaml.snakeyaml.Yaml().load(crd));
            // apiextensions.k8s.io/v1 CRD; its one served version is the FlinkDeployment API flink.apache.org/v1beta1.
            assertThat(definition.at("/spec/versions/0/name").asText()).isEqualTo("v1beta1");
            JsonNode schema = definition.at("/spec/versions/0/schema/openAPIV3Schema").deepCopy();
            ArrayNode versions = (ArrayNode) schema.at("/properties/spec/properties/flinkVersion/enum");
            FLINK_2_VERSIONS.forEach(versions::add);
            // Kubernetes itself checks these three on every object; the CRD schema leaves them out.
            ObjectNode root = (ObjectNode) schema.path("properties");
            root.putObject("apiVersion").put("type", "string");
            root.putObject("kind").put("type", "string");
            root.putObject("metadata").put("type", "object").put("x-kubernetes-preserve-unknown-fields", true);
            strict(schema);
            crdSchema = schema;
        }
        deployedConfig = StandaloneFlinkCluster.readFlatYaml(DeployFiles.deployDir().resolve("flink/config.yaml"));
    }

    /** Unknown fields are errors, except where the CRD preserves them. */
    private static void strict(JsonNode node) {
        if (node.isObject()) {
            ObjectNode object = (ObjectNode) node;
            if (object.has("properties") && !object.has("additionalProperties")
                    && !object.path("x-kubernetes-preserve-unknown-fields").asBoolean(false)) {
                object.put("additionalProperties", false);
            }
            object.elements().forEachRemaining(DeployManifestsTest::strict);
        } else if (node.isArray()) {
            node.elements().forEachRemaining(DeployManifestsTest::strict);
        }
    }

    @Test
    void flinkDeploymentsConformToTheOperatorsCrd() throws Exception {
        for (String file : DEPLOYMENTS) {
            JsonNode deployment = single(file);
            Set<ValidationMessage> problems = DeployFiles.validate(crdSchema, SpecVersion.VersionFlag.V7, deployment);
            assertThat(problems).as(file + " against the FlinkDeployment CRD").isEmpty();
            assertThat(deployment.path("apiVersion").asText()).isEqualTo("flink.apache.org/v1beta1");
            assertThat(deployment.path("kind").asText()).isEqualTo("FlinkDeployment");
        }
        JsonNode typo = DeployFiles.with(single("flink-deployment.yaml"), "/spec/job", "upgradeMod", "savepoint");
        assertThat(DeployFiles.validate(crdSchema, SpecVersion.VersionFlag.V7, typo))
                .as("a misspelt field is rejected (negative control)").isNotEmpty();
        JsonNode badMode = DeployFiles.with(single("flink-deployment.yaml"), "/spec/job", "upgradeMode", "snapshot");
        assertThat(DeployFiles.validate(crdSchema, SpecVersion.VersionFlag.V7, badMode)).isNotEmpty();
    }

    @Test
    void flinkDeploymentsRunTheImagesJarWithValidOptions() throws Exception {
        String dockerfile = Files.readString(DeployFiles.deployDir().resolve("Dockerfile"));
        assertThat(dockerfile).contains(JAR_URI.substring("local://".length()));
        for (String file : DEPLOYMENTS) {
            JsonNode spec = single(file).path("spec");
            JsonNode job = spec.path("job");
            assertThat(job.path("jarURI").asText()).as(file).isEqualTo(JAR_URI);
            assertThat(job.path("entryClass").asText()).isEqualTo(ClassifierJob.class.getName());
            assertThat(job.path("upgradeMode").asText()).isEqualTo("savepoint");
            assertThat(spec.path("image").asText()).startsWith("registry.example.com/stream-classifier:");

            Configuration options = options(job);
            int slots = Integer.parseInt(spec.path("flinkConfiguration").path("taskmanager.numberOfTaskSlots").asText());
            int parallelism = options.getOptional(JobOptions.PARALLELISM).orElse(job.path("parallelism").asInt());
            assertThat(job.path("parallelism").asInt()).as("job parallelism = classifier parallelism")
                    .isEqualTo(parallelism);
            assertThat(spec.at("/taskManager/replicas").asInt() * slots).as("slots for the classifiers")
                    .isGreaterThanOrEqualTo(parallelism);
            assertThat(options.get(JobOptions.INTRA_OP_THREADS) * slots)
                    .as("ONNX Runtime threads per TaskManager within its cores")
                    .isLessThanOrEqualTo((int) spec.at("/taskManager/resource/cpu").asDouble());
            assertThat(options.get(JobOptions.TRANSACTIONAL_ID_PREFIX))
                    .isEqualTo(single(file).at("/metadata/name").asText());
            List<String> env = new ArrayList<>();
            spec.at("/podTemplate/spec/containers/0/env").forEach(e -> env.add(e.path("name").asText() + "="
                    + e.path("value").asText()));
            assertThat(env).contains("DJL_OFFLINE=true");
        }
        JsonNode gpu = single("flink-deployment-gpu.yaml").path("spec");
        assertThat(options(gpu.path("job")).get(JobOptions.DEVICE)).isEqualTo("cuda");
        assertThat(gpu.at("/taskManager/podTemplate/spec/containers/0/resources/limits/nvidia.com~1gpu").asInt())
                .isEqualTo(1);
        assertThat(options(single("flink-deployment.yaml").at("/spec/job")).get(JobOptions.DEVICE))
                .isEqualTo("cpu");
    }

    @Test
    void flinkDeploymentsCarryTheDeployedFlinkSettings() throws Exception {
        for (String file : DEPLOYMENTS) {
            JsonNode spec = single(file).path("spec");
            Map<String, String> configuration = new LinkedHashMap<>();
            spec.path("flinkConfiguration").fields().forEachRemaining(e -> configuration.put(e.getKey(),
                    e.getValue().asText()));
            for (Map.Entry<String, String> setting : deployedConfig.entrySet()) {
                String key = setting.getKey();
                if (key.endsWith(".memory.process.size")) {
                    continue;  // the operator sets these from spec.*.resource.memory, checked below
                }
                if (key.startsWith("execution.checkpointing.") && key.endsWith("dir")) {
                    assertThat(configuration.get(key)).as(file + ": " + key + " on a durable store").startsWith("s3://");
                } else {
                    assertThat(configuration).as(file).containsEntry(key, setting.getValue());
                }
            }
            assertThat(configuration).containsEntry("high-availability.type", "kubernetes");
            assertThat(configuration.get("high-availability.storageDir")).startsWith("s3://");
            assertThat(MemorySize.parse(spec.at("/jobManager/resource/memory").asText()))
                    .isEqualTo(MemorySize.parse(deployedConfig.get("jobmanager.memory.process.size")));
            assertThat(MemorySize.parse(spec.at("/taskManager/resource/memory").asText()))
                    .isGreaterThanOrEqualTo(MemorySize.parse(deployedConfig.get("taskmanager.memory.process.size")));
            for (String key : configuration.keySet()) {
                if (!key.startsWith("kubernetes.operator.")) {
                    assertThat(knownFlinkKeys()).as(file + ": a Flink 2.2 option").contains(key);
                }
            }
        }
        for (String key : deployedConfig.keySet()) {
            assertThat(knownFlinkKeys()).as("deploy/flink/config.yaml: a Flink 2.2 option").contains(key);
        }
    }

    @Test
    void kafkaCredentialsComeFromASecretNotFromTheArguments() throws Exception {
        Pattern reference = Pattern.compile("\\$\\{env:([A-Z_]+)}");
        for (String file : DEPLOYMENTS) {
            JsonNode spec = single(file).path("spec");
            Map<String, String> fromSecrets = new HashMap<>();
            spec.at("/podTemplate/spec/containers/0/env").forEach(e -> {
                JsonNode secret = e.at("/valueFrom/secretKeyRef");
                if (!secret.isMissingNode()) {
                    fromSecrets.put(e.path("name").asText(), secret.path("name").asText());
                }
            });
            Map<String, String> kafka = JobConfig.from(options(spec.path("job"))).sources().client().properties();
            assertThat(kafka).as(file).containsEntry("security.protocol", "SASL_SSL")
                    .containsEntry("config.providers", "env")
                    .containsEntry("config.providers.env.class",
                            "org.apache.kafka.common.config.provider.EnvVarConfigProvider");
            Set<String> referenced = new HashSet<>();
            for (String key : List.of("sasl.jaas.config", "ssl.truststore.certificates")) {
                Matcher matcher = reference.matcher(kafka.get(key));
                while (matcher.find()) {
                    referenced.add(matcher.group(1));
                }
            }
            assertThat(referenced).as(file + ": credentials by reference").contains("KAFKA_USERNAME",
                    "KAFKA_PASSWORD", "KAFKA_CA_CERT");
            assertThat(fromSecrets).as(file + ": each reference filled from a Secret").containsKeys(
                    referenced.toArray(String[]::new));
            assertThat(kafka.get("sasl.jaas.config")).doesNotContainPattern("password=\"[^$]");
        }
    }

    @Test
    void kafkaTopicsAreTheJobsTopics() throws Exception {
        Configuration options = options(single("flink-deployment.yaml").at("/spec/job"));
        Set<String> expected = new HashSet<>(JobConfig.from(options).sources().topics().values());
        expected.addAll(JobConfig.from(options).outputTopics());
        Set<String> declared = new HashSet<>();
        for (JsonNode topic : DeployFiles.readYaml(DeployFiles.deployDir().resolve("k8s/kafka-topics.yaml"))) {
            assertThat(topic.path("apiVersion").asText()).isEqualTo("kafka.strimzi.io/v1");
            assertThat(topic.path("kind").asText()).isEqualTo("KafkaTopic");
            assertThat(topic.at("/metadata/labels/strimzi.io~1cluster").asText()).isNotBlank();
            JsonNode spec = topic.path("spec");
            assertThat(spec.path("partitions").asInt())
                    .isGreaterThanOrEqualTo(options.getOptional(JobOptions.PARALLELISM).orElse(1));
            assertThat(spec.path("replicas").asInt())
                    .isGreaterThan(spec.at("/config/min.insync.replicas").asInt());
            assertThat(spec.fieldNames()).toIterable().isSubsetOf("partitions", "replicas", "config", "topicName");
            declared.add(spec.has("topicName") ? spec.path("topicName").asText() : topic.at("/metadata/name").asText());
        }
        assertThat(declared).isEqualTo(expected);
    }

    @Test
    void podMonitorScrapesTheFlinkPodsMetricsPort() throws Exception {
        JsonNode monitor = single("pod-monitor.yaml");
        assertThat(monitor.path("apiVersion").asText()).isEqualTo("monitoring.coreos.com/v1");
        assertThat(monitor.path("kind").asText()).isEqualTo("PodMonitor");
        Set<String> selected = new HashSet<>();
        for (JsonNode expression : monitor.at("/spec/selector/matchExpressions")) {
            assertThat(expression.path("key").asText()).isEqualTo("app");
            expression.path("values").forEach(v -> selected.add(v.asText()));
        }
        String port = monitor.at("/spec/podMetricsEndpoints/0/port").asText();
        for (String file : DEPLOYMENTS) {
            JsonNode deployment = single(file);
            assertThat(selected).contains(deployment.at("/metadata/name").asText());
            assertThat(deployment.at("/metadata/namespace").asText()).isEqualTo(monitor.at("/metadata/namespace").asText());
            Map<String, Integer> ports = new HashMap<>();
            deployment.at("/spec/podTemplate/spec/containers/0/ports").forEach(p -> ports.put(p.path("name").asText(),
                    p.path("containerPort").asInt()));
            assertThat(ports).containsEntry(port, Integer.parseInt(
                    deployment.at("/spec/flinkConfiguration").path("metrics.reporter.prom.port").asText()));
        }
        List<String> kustomized = new ArrayList<>();
        single("kustomization.yaml").path("resources").forEach(r -> kustomized.add(r.asText()));
        assertThat(kustomized).containsExactlyInAnyOrder("flink-deployment.yaml", "kafka-topics.yaml", "pod-monitor.yaml");
    }

    private static JsonNode single(String file) throws Exception {
        List<JsonNode> documents = DeployFiles.readYaml(DeployFiles.deployDir().resolve("k8s").resolve(file));
        assertThat(documents).as(file).hasSize(1);
        return documents.get(0);
    }

    private static Configuration options(JsonNode job) {
        List<String> args = new ArrayList<>();
        job.path("args").forEach(a -> args.add(a.asText()));
        return DeployFiles.validated(CommandLine.parse(args.toArray(String[]::new), Set.of()).jobOptions());
    }

    /** Keys of Flink 2.2's options in the classes the deployment uses (metric reporters' keys are dynamic). */
    private static Set<String> knownFlinkKeys() {
        Set<String> keys = new HashSet<>();
        for (Class<?> options : List.of(CoreOptions.class, CheckpointingOptions.class, StateBackendOptions.class,
                RestartStrategyOptions.class, MetricOptions.class, TaskManagerOptions.class, JobManagerOptions.class,
                HighAvailabilityOptions.class)) {
            for (Field field : options.getFields()) {
                if (Modifier.isStatic(field.getModifiers()) && field.getType() == ConfigOption.class
                        && !field.isAnnotationPresent(Deprecated.class)) {
                    try {
                        keys.add(((ConfigOption<?>) field.get(null)).key());
                    } catch (IllegalAccessException e) {
                        throw new IllegalStateException(e);
                    }
                }
            }
        }
        keys.add("metrics.reporter.prom.factory.class");
        keys.add("metrics.reporter.prom.port");
        keys.add("metrics.reporter.prom.host");
        return keys;
    }
}
