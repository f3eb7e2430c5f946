package dev.streamclassifier.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessSpec;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessUtils;
import org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint;
import org.apache.flink.runtime.jobmanager.JobManagerProcessSpec;
import org.apache.flink.runtime.jobmanager.JobManagerProcessUtils;
import org.apache.flink.runtime.taskexecutor.TaskManagerRunner;
import org.apache.flink.runtime.util.config.memory.ProcessMemoryUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A Flink standalone session cluster of real processes, as {@code bin/jobmanager.sh} and {@code bin/taskmanager.sh}
 * start them: a JobManager ({@link StandaloneSessionClusterEntrypoint}) and TaskManagers ({@link TaskManagerRunner}),
 * each its own JVM with Flink's memory flags (computed as Flink's {@code BashJavaUtils} does), a {@code config.yaml}
 * written from {@code deploy/flink/config.yaml} plus local overrides, Flink's runtime jars and the native-library
 * jars as its class path (the distribution's {@code lib/}), and {@code plugins/metrics-prometheus}.
 *
 * <p>Talks to the cluster only through its REST API, as {@code flink run} and the web UI do. {@link #close()} kills
 * every process it started and waits for them.
 */
final class StandaloneFlinkCluster implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StandaloneFlinkCluster.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * What Flink's default config.yaml passes to every JVM on Java 17 (env.java.default-opts.all), so the processes
     * here run as the distribution's do. (With these, a 1 MB thread stack overflowed while DJL loaded a tokenizer.)
     */
    private static final List<String> JAVA_17_OPENS = List.of(
            "--add-exports=java.base/sun.net.util=ALL-UNNAMED",
            "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
            "--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED",
            "--add-opens=java.base/java.lang=ALL-UNNAMED",
            "--add-opens=java.base/java.net=ALL-UNNAMED",
            "--add-opens=java.base/java.io=ALL-UNNAMED",
            "--add-opens=java.base/java.nio=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
            "--add-opens=java.base/java.text=ALL-UNNAMED",
            "--add-opens=java.base/java.time=ALL-UNNAMED",
            "--add-opens=java.base/java.util=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED");

    private final Path home;
    private final Path confDir;
    private final Path logDir;
    private final String classPath;
    private final Path pluginsDir;
    private final Configuration configuration;
    private final int restPort;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<Process> processes = new ArrayList<>();
    private Process jobManager;
    private int taskManagersStarted;

    /**
     * Writes the cluster's configuration under {@code home}; starts nothing yet.
     *
     * @param baseConfig the deployed Flink settings ({@code deploy/flink/config.yaml})
     * @param overrides local settings on top (ports, directories, memory, heartbeats)
     * @param libDirs directories whose jars form the cluster's class path, as Flink's {@code lib/}
     */
    StandaloneFlinkCluster(Path home, Path baseConfig, Map<String, String> overrides, List<Path> libDirs,
            Path pluginsDir) throws IOException {
        this.home = home;
        this.confDir = Files.createDirectories(home.resolve("conf"));
        this.logDir = Files.createDirectories(home.resolve("log"));
        this.pluginsDir = pluginsDir;
        this.restPort = freePort();
        Map<String, String> settings = new LinkedHashMap<>(readFlatYaml(baseConfig));
        settings.put("jobmanager.rpc.address", "localhost");
        settings.put("jobmanager.bind-host", "localhost");
        settings.put("jobmanager.rpc.port", Integer.toString(freePort()));
        settings.put("taskmanager.host", "localhost");
        settings.put("taskmanager.bind-host", "localhost");
        settings.put("rest.address", "localhost");
        settings.put("rest.bind-address", "localhost");
        settings.put("rest.port", Integer.toString(restPort));
        Path tmp = Files.createDirectories(home.resolve("tmp"));
        settings.put("io.tmp.dirs", tmp.toString());
        settings.put("web.tmpdir", tmp.toString());
        settings.put("web.upload.dir", Files.createDirectories(home.resolve("uploads")).toString());
        settings.putAll(overrides);
        StringBuilder yaml = new StringBuilder("# Written by StandaloneFlinkCluster from deploy/flink/config.yaml\n");
        settings.forEach((key, value) -> yaml.append(key).append(": ").append(quote(value)).append('\n'));
        Files.writeString(confDir.resolve("config.yaml"), yaml.toString());
        Files.writeString(confDir.resolve("log4j.properties"), String.join("\n",
                "rootLogger.level = INFO",
                "rootLogger.appenderRef.file.ref = file",
                "appender.file.type = File",
                "appender.file.name = file",
                "appender.file.fileName = ${sys:log.file}",
                "appender.file.layout.type = PatternLayout",
                "appender.file.layout.pattern = %d{HH:mm:ss,SSS} %-5p %c{1} [%t] - %m%n",
                "logger.kafka.name = org.apache.kafka",
                "logger.kafka.level = WARN",
                "logger.pekko.name = org.apache.pekko",
                "logger.pekko.level = WARN",
                ""));
        this.configuration = GlobalConfiguration.loadConfiguration(confDir.toString());
        List<String> jars = new ArrayList<>();
        for (Path dir : libDirs) {
            try (Stream<Path> files = Files.list(dir)) {
                files.filter(f -> f.toString().endsWith(".jar")).sorted().forEach(f -> jars.add(f.toString()));
            }
        }
        if (jars.isEmpty()) {
            throw new IllegalStateException("No jars in " + libDirs + ": run the build with mvn verify");
        }
        this.classPath = String.join(File.pathSeparator, jars);
    }

    /** Starts the JobManager and waits until its REST API answers. */
    void startJobManager(Map<String, String> environment, int prometheusPort) throws Exception {
        JobManagerProcessSpec spec = JobManagerProcessUtils.processSpecFromConfig(configuration);
        List<String> jvm = split(JobManagerProcessUtils.generateJvmParametersStr(spec, configuration));
        List<String> dynamic = split(JobManagerProcessUtils.generateDynamicConfigsStr(spec));
        jobManager = start("jobmanager", StandaloneSessionClusterEntrypoint.class.getName(), jvm, dynamic,
                environment, prometheusPort);
        waitFor("the JobManager's REST API on port " + restPort, Duration.ofSeconds(60), () -> {
            assertAlive(jobManager, "jobmanager");
            try {
                return get("/overview").has("flink-version");
            } catch (IOException e) {
                return false;
            }
        });
    }

    /** Starts one more TaskManager process; the caller waits for it to register ({@link #registeredTaskManagers}). */
    Process startTaskManager(Map<String, String> environment, int prometheusPort) throws IOException {
        TaskExecutorProcessSpec spec = TaskExecutorProcessUtils.processSpecFromConfig(configuration);
        List<String> jvm = split(ProcessMemoryUtils.generateJvmParametersStr(spec));
        List<String> dynamic = split(TaskExecutorProcessUtils.generateDynamicConfigsStr(spec));
        taskManagersStarted++;
        return start("taskmanager-" + taskManagersStarted, TaskManagerRunner.class.getName(), jvm, dynamic,
                environment, prometheusPort);
    }

    private Process start(String name, String mainClass, List<String> memoryFlags, List<String> dynamicConfig,
            Map<String, String> environment, int prometheusPort) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(memoryFlags);
        command.addAll(JAVA_17_OPENS);
        // As bin/config.sh does: the deployed JVM options (e.g. the thread stack size the tokenizer needs).
        command.addAll(split(configuration.get(CoreOptions.FLINK_JVM_OPTIONS)));
        command.add("-Dlog.file=" + logDir.resolve(name + ".log"));
        command.add("-Dlog4j.configurationFile=file:" + confDir.resolve("log4j.properties"));
        command.add("-Djava.io.tmpdir=" + Files.createDirectories(home.resolve("tmp")));
        command.add("-cp");
        command.add(classPath);
        command.add(mainClass);
        command.add("--configDir");
        command.add(confDir.toString());
        command.addAll(dynamicConfig);
        // Each process its own Prometheus port, as each pod or container has its own address in a deployment.
        command.add("-D");
        command.add("metrics.reporter.prom.port=" + prometheusPort);
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(logDir.resolve(name + ".out").toFile());
        builder.environment().put("FLINK_PLUGINS_DIR", pluginsDir.toString());
        builder.environment().putAll(environment);
        Files.writeString(logDir.resolve(name + ".command"), String.join(" ", command) + "\n");
        Process process = builder.start();
        processes.add(process);
        LOG.info("Started {} (pid {}), log {}", name, process.pid(), logDir.resolve(name + ".log"));
        return process;
    }

    /** SIGKILL, as when a machine or container dies: no shutdown hooks, no goodbye to the JobManager. */
    static void kill(Process process) throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("Process " + process.pid() + " did not die");
        }
    }

    int registeredTaskManagers() throws IOException {
        return get("/taskmanagers").path("taskmanagers").size();
    }

    /** Uploads a jar as {@code flink run} and the web UI do; returns its id on the cluster. */
    String uploadJar(Path jar) throws IOException {
        String boundary = "----stream-classifier-" + UUID.randomUUID();
        byte[] head = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"jarfile\"; filename=\""
                + jar.getFileName() + "\"\r\nContent-Type: application/x-java-archive\r\n\r\n")
                .getBytes(StandardCharsets.UTF_8);
        byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8);
        HttpRequest request = HttpRequest.newBuilder(uri("/jars/upload"))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.concat(HttpRequest.BodyPublishers.ofByteArray(head),
                        HttpRequest.BodyPublishers.ofFile(jar), HttpRequest.BodyPublishers.ofByteArray(tail)))
                .timeout(Duration.ofMinutes(2))
                .build();
        JsonNode response = send(request);
        String file = response.path("filename").asText();
        if (!"success".equals(response.path("status").asText()) || file.isEmpty()) {
            throw new IllegalStateException("Jar upload failed: " + response);
        }
        return Path.of(file).getFileName().toString();
    }

    /**
     * Runs the uploaded jar's main class on the JobManager (as the web UI's submit does): {@code main} parses the
     * options, runs the start-up checks and submits the job. Returns the job id.
     */
    String runJar(String jarId, String entryClass, List<String> programArgs, int parallelism) throws IOException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("entryClass", entryClass);
        body.put("programArgsList", programArgs);
        body.put("parallelism", parallelism);
        HttpRequest request = HttpRequest.newBuilder(uri("/jars/" + jarId + "/run"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))
                .timeout(Duration.ofMinutes(2))
                .build();
        JsonNode response = send(request);
        if (!response.hasNonNull("jobid")) {
            throw new IllegalStateException("Job submission failed: " + response);
        }
        return response.get("jobid").asText();
    }

    JsonNode job(String jobId) throws IOException {
        return get("/jobs/" + jobId);
    }

    /** True when the job and each of its vertices are RUNNING. */
    boolean fullyRunning(String jobId) throws IOException {
        JsonNode job = job(jobId);
        if (!"RUNNING".equals(job.path("state").asText())) {
            return false;
        }
        for (JsonNode vertex : job.path("vertices")) {
            if (!"RUNNING".equals(vertex.path("status").asText())) {
                return false;
            }
        }
        return true;
    }

    void cancel(String jobId) throws IOException {
        HttpRequest request = HttpRequest.newBuilder(uri("/jobs/" + jobId + "?mode=cancel"))
                .method("PATCH", HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(30)).build();
        send(request);
    }

    JsonNode get(String path) throws IOException {
        return send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(10)).GET().build());
    }

    /** The text a Prometheus server would scrape from one process. */
    String scrapePrometheus(int port) throws IOException {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/metrics"))
                .timeout(Duration.ofSeconds(10)).GET().build();
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString()).body();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    private JsonNode send(HttpRequest request) throws IOException {
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() >= 300) {
                throw new IOException(request.method() + " " + request.uri() + " -> HTTP " + response.statusCode()
                        + ": " + response.body());
            }
            return response.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(response.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    private URI uri(String path) {
        return URI.create("http://localhost:" + restPort + path);
    }

    Path logDir() {
        return logDir;
    }

    /** Kills every process this cluster started (JobManager last) and waits for each, even if one kill fails. */
    @Override
    public void close() {
        List<Process> reversed = new ArrayList<>(processes);
        java.util.Collections.reverse(reversed);
        for (Process process : reversed) {
            try {
                if (process.isAlive()) {
                    kill(process);
                }
            } catch (Exception e) {
                LOG.error("Could not stop process {}", process.pid(), e);
            }
        }
    }

    static void assertAlive(Process process, String name) {
        if (!process.isAlive()) {
            throw new IllegalStateException(name + " exited with code " + process.exitValue());
        }
    }

    interface Condition {
        boolean holds() throws Exception;
    }

    static void waitFor(String what, Duration timeout, Condition condition) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.holds()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("Timed out after " + timeout + " waiting for " + what);
            }
            Thread.sleep(200);
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        }
    }

    /** A Flink config.yaml with flat keys, as key to value text. */
    static Map<String, String> readFlatYaml(Path file) throws IOException {
        JsonNode root = new YAMLMapper().readTree(file.toFile());
        Map<String, String> values = new LinkedHashMap<>();
        root.fields().forEachRemaining(entry -> values.put(entry.getKey(), entry.getValue().asText()));
        return values;
    }

    private static List<String> split(String flags) {
        return Arrays.stream(flags.trim().split("\\s+")).filter(Predicate.not(String::isEmpty))
                .collect(Collectors.toList());
    }

    private static String quote(String value) {
        return "'" + value.replace("'", "''") + "'";
    }

    static Path requireFile(String systemProperty) {
        String value = System.getProperty(systemProperty);
        if (value == null) {
            throw new IllegalStateException("System property " + systemProperty + " is not set: run with mvn verify");
        }
        Path path = Path.of(value);
        if (!Files.exists(path)) {
            throw new UncheckedIOException(new IOException(path + " does not exist: run with mvn verify")); 
        }
        return path;
    }
}
