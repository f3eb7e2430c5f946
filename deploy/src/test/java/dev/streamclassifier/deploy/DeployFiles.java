package dev.streamclassifier.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.streamclassifier.job.config.JobConfig;
import org.apache.flink.configuration.Configuration;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Reading the files in deploy/ and docker-compose.yml as a tool would, and validating them against a JSON schema. */
final class DeployFiles {
    static final ObjectMapper JSON = new ObjectMapper();

    private DeployFiles() {}

    static Path deployDir() {
        return StandaloneClusterITCase.deployDir();
    }

    static Path repoRoot() {
        return deployDir().toAbsolutePath().normalize().getParent();
    }

    /** Every document of a YAML file, anchors and aliases resolved (as Compose and kubectl resolve them). */
    static List<JsonNode> readYaml(Path file) throws IOException {
        List<JsonNode> documents = new ArrayList<>();
        try (Reader reader = Files.newBufferedReader(file)) {
            for (Object document : new Yaml().loadAll(reader)) {
                if (document != null) {
                    documents.add(JSON.valueToTree(document));
                }
            }
        }
        return documents;
    }

    static Set<ValidationMessage> validate(JsonNode schema, SpecVersion.VersionFlag version, JsonNode document) {
        return JsonSchemaFactory.getInstance(version).getSchema(schema).validate(document);
    }

    /** A deep copy of {@code node} with one field set, for negative controls. */
    static JsonNode with(JsonNode node, String objectPath, String field, String value) {
        JsonNode copy = node.deepCopy();
        JsonNode target = copy.at(objectPath);
        ((ObjectNode) target).put(field, value);
        return copy;
    }

    /** The job's options as a deployment file gives them, after the job's own validation accepted them. */
    static Configuration validated(Configuration options) {
        JobConfig.from(options);
        return options;
    }
}
