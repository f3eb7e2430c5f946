package dev.streamclassifier.job;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The packaged cluster jar holds the job and what it needs at run time on a Flink cluster, and nothing else: no demo,
 * bench, in-process broker or model builder, no Flink (the cluster has it) and no native libraries (Flink's lib/).
 */
class ClusterJarITCase {
    private static List<String> entries;

    @BeforeAll
    static void listTheJar() throws Exception {
        Path jar = Path.of(System.getProperty("cluster.jar", "target/stream-classifier-cluster.jar"));
        assertThat(Files.isRegularFile(jar)).as("%s (run mvn package first)", jar).isTrue();
        try (JarFile file = new JarFile(jar.toFile())) {
            entries = file.stream().map(ZipEntry::getName).toList();
        }
    }

    @Test
    void holdsTheJobTheDefaultClassifiersAndTheLibrariesFlinkDoesNotShip() {
        assertThat(entries).contains(
                "dev/streamclassifier/job/ClassifierJob.class",
                "dev/streamclassifier/job/classify/ClassifyOperator.class",
                "dev/streamclassifier/udf/TextClassifier.class",
                "dev/streamclassifier/schemas/ClassifiedEvent.class",
                "classifiers/chat-moderation/model.onnx",
                "classifiers/chat-moderation/tokenizer.json",
                "classifiers/index.txt",
                "org/apache/flink/connector/kafka/sink/KafkaSink.class",
                "org/apache/kafka/clients/producer/KafkaProducer.class",
                "org/apache/avro/Schema.class",
                "com/fasterxml/jackson/databind/ObjectMapper.class");
    }

    @Test
    void holdsNoDemoBenchBrokerBuilderFlinkOrNativeLibraries() {
        List<String> forbidden = List.of(
                "dev/streamclassifier/standalone/",   // demo, bench, run
                "dev/streamclassifier/testkit/",      // in-process broker, sample events
                "dev/streamclassifier/models/",       // the model builder
                "org/tribuo/", "com/google/protobuf/", // the builder's ONNX composition
                "kafka/server/", "org/apache/kafka/common/test/", "org/apache/kafka/raft/", // a broker
                "org/apache/flink/streaming/api/environment/", "org/apache/flink/runtime/", // Flink itself
                "ai/onnxruntime/", "ai/djl/", "com/sun/jna/", "com/google/gson/", // Flink's lib/
                "org/apache/logging/log4j/", "org/slf4j/", // Flink's logging
                "org/junit/", "org/assertj/");
        for (String prefix : forbidden) {
            assertThat(entries).as("entries under %s", prefix).noneMatch(entry -> entry.startsWith(prefix));
        }
    }
}
