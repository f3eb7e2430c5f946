package dev.streamclassifier.standalone;

import dev.streamclassifier.job.classify.ModelCheck;
import dev.streamclassifier.job.config.CommandLine;
import dev.streamclassifier.job.config.JobConfig;
import dev.streamclassifier.job.config.JobOptions;
import dev.streamclassifier.job.kafka.KafkaClientSettings;
import dev.streamclassifier.job.lifecycle.ModelCommands;
import dev.streamclassifier.job.lifecycle.ModelStore;
import dev.streamclassifier.job.lifecycle.ModelUpdateSettings;
import dev.streamclassifier.schemas.ModelAction;
import dev.streamclassifier.schemas.ModelEvent;
import dev.streamclassifier.schemas.ModelUpdate;
import dev.streamclassifier.schemas.SingleObjectCodec;
import dev.streamclassifier.testkit.TopicReader;
import dev.streamclassifier.udf.ModelDirectory;
import org.apache.flink.configuration.Configuration;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * {@code java -jar stream-classifier.jar models check|publish|list}: checks a model directory as a running job would
 * before it switches to it, copies it into the model store and publishes the update on the control topic, and lists
 * what each classify instance serves, from the model-events topic. It takes the job's options, so it checks against
 * the same tasks, models and Kafka settings the job runs with.
 */
public final class ModelsCommand {
    static final String USAGE = """
            usage: java -jar job/standalone/target/stream-classifier.jar models ACTION [options] [--JOB-OPTION V ...]
              check --model NAME --dir DIR [--allow-label-change]
                  run the checks a job runs before it switches to a version (checksum, labels against the
                  version the job starts with and the tasks' labels, a smoke batch, its latency)
              publish --model NAME --version V [--from DIR] [--action activate|shadow|rollback|deactivate-shadow]
                      [--shadow-share S] [--allow-label-change] [--requested-by WHO]
                  copy DIR into model-store.uri as NAME/V (if --from is given), check that version as above,
                  then write the update to topic.model-updates; nothing is written if the check fails
              list
                  the versions each classify instance serves and the latest rejections, from topic.model-events
            Job options such as --kafka.bootstrap-servers, --model-store.uri, --task.* and --kafka.properties.* are
            the job's (see 'options'); give the ones your job runs with.""";

    private ModelsCommand() {}

    public static void main(String[] args) throws Exception {
        try {
            System.exit(run(args, System.out));
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage() + "\n\n" + USAGE);
            System.exit(2);
        }
    }

    /** @return the exit code: 0 done, 1 the version failed its check */
    static int run(String[] args, PrintStream out) throws Exception {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("help")) {
            out.println(USAGE);
            return 0;
        }
        String action = args[0];
        CommandLine line = CommandLine.parse(Arrays.copyOfRange(args, 1, args.length),
                Set.of("allow-label-change"));
        return switch (action) {
            case "check" -> check(line, out);
            case "publish" -> publish(line, out);
            case "list" -> list(line, out);
            default -> throw new IllegalArgumentException("unknown action '" + action + "': check, publish or list");
        };
    }

    private static int check(CommandLine line, PrintStream out) throws Exception {
        String model = required(line, "model");
        ModelDirectory directory = ModelDirectory.of(Path.of(required(line, "dir")));
        boolean allowLabelChange = line.takeSwitch("allow-label-change");
        Configuration options = line.jobOptions();
        if (!options.contains(JobOptions.BOOTSTRAP_SERVERS)) {
            // The check talks to no broker; the job's options need one named all the same.
            options.set(JobOptions.BOOTSTRAP_SERVERS, "localhost:9092");
        }
        return report(JobConfig.from(options), model, directory, allowLabelChange, out) ? 0 : 1;
    }

    private static int publish(CommandLine line, PrintStream out) throws Exception {
        String model = required(line, "model");
        String version = line.take("version").orElse(null);
        Path from = line.take("from").map(Path::of).orElse(null);
        ModelAction action = ModelCommands.action(line.take("action").orElse("activate"));
        Double share = line.has("shadow-share") ? line.takeNumber("shadow-share", 0, 0) : null;
        boolean allowLabelChange = line.takeSwitch("allow-label-change");
        String requestedBy = line.take("requested-by").orElse(System.getProperty("user.name"));
        JobConfig config = JobConfig.from(line.jobOptions());
        ModelUpdateSettings updates = config.modelUpdates();
        if (updates == null) {
            throw new IllegalArgumentException("--model-store.uri is needed: the job reads versions from the store");
        }
        ModelUpdate update = ModelUpdate.newBuilder().setModel(model).setVersion(version).setAction(action)
                .setShadowShare(share).setAllowLabelChange(allowLabelChange).setRequestedBy(requestedBy).build();
        byte[] value = ModelCommands.encode(update);
        ModelStore store = updates.store();
        boolean loads = action == ModelAction.ACTIVATE || action == ModelAction.SHADOW;
        if (from != null) {
            if (version == null) {
                throw new IllegalArgumentException("--from needs --version: the version it is published as");
            }
            ModelDirectory directory = ModelDirectory.of(from);
            String manifestVersion = directory.readManifest().version;
            if (!version.equals(manifestVersion)) {
                throw new IllegalArgumentException(from + "'s manifest says version " + manifestVersion
                        + ", not " + version + ": predictions carry the manifest's version, so make them agree");
            }
            // Checked before it is copied: a version that would be rejected never reaches the store.
            if (loads && !report(config, model, directory, allowLabelChange, out)) {
                out.println("nothing copied, nothing published");
                return 1;
            }
            try {
                store.publish(model, version, directory);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot copy " + from + " into the store: " + e.getMessage(), e);
            }
            out.printf("copied %s to %s%s/%s%n", from, store.root(), model, version);
        }
        if (loads && !store.withVersion(model, version, directory -> report(config, model, directory, allowLabelChange,
                out))) {
            out.println("nothing published");
            return 1;
        }
        try (KafkaProducer<byte[], byte[]> producer = producer(config.sources().client())) {
            var metadata = producer.send(new ProducerRecord<>(updates.updatesTopic(),
                    model.getBytes(StandardCharsets.UTF_8), value)).get(30, TimeUnit.SECONDS);
            out.printf("published '%s' to %s at offset %d; 'models list' shows what each instance did with it%n",
                    ModelCommands.decode(value, metadata.offset()), updates.updatesTopic(), metadata.offset());
        }
        return 0;
    }

    /** Prints the check's findings; true if the version would serve. */
    private static boolean report(JobConfig config, String model, ModelDirectory directory, boolean allowLabelChange,
            PrintStream out) throws Exception {
        double ratio = config.modelUpdates() == null ? JobOptions.MAX_LATENCY_RATIO.defaultValue()
                : config.modelUpdates().maxLatencyRatio();
        ModelCheck.VersionReport report = ModelCheck.checkVersion(config.classify(), model, directory,
                allowLabelChange, ratio);
        if (report.manifest() != null) {
            out.printf("%s %s: labels %s; smoke batch %.1f ms (the starting version: %.1f ms)%n", model,
                    report.manifest().version, report.manifest().labels, report.micros() / 1000.0,
                    report.referenceMicros() / 1000.0);
        }
        if (report.problems().isEmpty()) {
            out.println("check passed: a running job would switch to it");
            return true;
        }
        out.println("check failed: a running job would reject it because");
        report.problems().forEach(problem -> out.println("  - " + problem));
        return false;
    }

    /** What each instance last reported per model: its active and shadow version, and the last rejection. */
    private static int list(CommandLine line, PrintStream out) throws Exception {
        Configuration options = line.jobOptions();
        JobConfig config = JobConfig.from(options);
        String topic = options.get(JobOptions.MODEL_EVENTS_TOPIC);
        SingleObjectCodec<ModelEvent> codec = SingleObjectCodec.of(ModelEvent.getClassSchema());
        Map<String, String[]> byInstance = new TreeMap<>();
        Map<String, ModelEvent> lastRejection = new TreeMap<>();
        try (TopicReader reader = TopicReader.fromBeginning(client(config.sources().client()), List.of(topic),
                true)) {
            for (ConsumerRecord<byte[], byte[]> record : reader.readToEnd(Duration.ofSeconds(30))) {
                ModelEvent event;
                try {
                    event = codec.decode(record.value());
                } catch (IOException e) {
                    continue;
                }
                String[] versions = byInstance.computeIfAbsent(event.getModel() + "\t" + event.getInstance(),
                        key -> new String[] {"(started with)", "-"});
                switch (event.getOutcome()) {
                    case "ACTIVE" -> {
                        versions[0] = event.getVersion();
                        if (event.getVersion().equals(versions[1])) {
                            versions[1] = "-";
                        }
                    }
                    case "SHADOWING" -> versions[1] = event.getVersion();
                    case "SHADOW_STOPPED" -> versions[1] = "-";
                    case "REJECTED" -> {
                        lastRejection.put(event.getModel(), event);
                        // A version a restart could not open again no longer serves there.
                        if (event.getAction().equals("RESTORE")) {
                            if (event.getVersion().equals(versions[0])) {
                                versions[0] = "(started with)";
                            }
                            if (event.getVersion().equals(versions[1])) {
                                versions[1] = "-";
                            }
                        }
                    }
                    default -> { }
                }
            }
        }
        if (byInstance.isEmpty()) {
            out.println("no model events on " + topic + ": every instance serves the version it started with");
            return 0;
        }
        out.printf("%-20s %-40s %-14s %s%n", "MODEL", "INSTANCE", "ACTIVE", "SHADOW");
        byInstance.forEach((key, versions) -> {
            String[] parts = key.split("\t", 2);
            out.printf("%-20s %-40s %-14s %s%n", parts[0], parts[1], versions[0], versions[1]);
        });
        lastRejection.values().forEach(event -> out.printf(Locale.ROOT, "last rejected: %s %s at %s: %s%n",
                event.getModel(), event.getVersion(), event.getAt(), event.getReason()));
        return 0;
    }

    private static String required(CommandLine line, String key) {
        return line.take(key).orElseThrow(() -> new IllegalArgumentException("--" + key + " is needed"));
    }

    private static Map<String, Object> client(KafkaClientSettings settings) {
        Map<String, Object> client = new HashMap<>(settings.properties());
        client.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
        return client;
    }

    private static KafkaProducer<byte[], byte[]> producer(KafkaClientSettings settings) {
        Properties properties = settings.toProperties();
        properties.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
        properties.put(ProducerConfig.ACKS_CONFIG, "all");
        properties.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        properties.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return new KafkaProducer<>(properties);
    }
}
