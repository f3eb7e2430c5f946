package dev.streamclassifier.job;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real schema registry for tests: the Apicurio Registry server from Maven Central (unpacked by the build into
 * {@code target/apicurio}), run as a separate JVM with in-memory storage on a free port. Its Confluent-compatible API is
 * what the job talks to; its own API is what Apicurio's serializers talk to.
 */
final class ApicurioRegistry implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);

    private final Process process;
    private final int port;

    private ApicurioRegistry(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    static ApicurioRegistry start() throws Exception {
        Path home = Path.of(System.getProperty("apicurio.dir", "target/apicurio/apicurio-registry-app"));
        Path jar;
        try (var files = Files.list(home)) {
            jar = files.filter(file -> file.getFileName().toString().endsWith("-runner.jar")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("No Apicurio runner jar in " + home.toAbsolutePath()
                            + ": run the build (mvn test-compile unpacks it from Maven Central)"));
        }
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Path log = Files.createTempFile("apicurio-", ".log");
        Process process = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx384m", "-XX:TieredStopAtLevel=1", "-Dquarkus.http.port=" + port, "-Dquarkus.http.host=127.0.0.1",
                "-jar", jar.toString()))
                .directory(home.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        ApicurioRegistry registry = new ApicurioRegistry(process, port);
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        HttpClient http = HttpClient.newHttpClient();
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Apicurio Registry exited; its log: " + Files.readString(log));
            }
            try {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(registry.confluentUrl()
                        + "/subjects")).build(), HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    return registry;
                }
            } catch (IOException notYet) {
                // Still starting.
            }
            if (System.nanoTime() > deadline) {
                registry.close();
                throw new IllegalStateException("Apicurio Registry did not answer within " + START_TIMEOUT
                        + "; its log: " + log);
            }
            Thread.sleep(250);
        }
    }

    int port() {
        return port;
    }

    /** The Confluent-compatible API's root, as {@code registry.url} takes it. */
    String confluentUrl() {
        return "http://127.0.0.1:" + port + "/apis/ccompat/v7";
    }

    /** Apicurio's own API, for its serializers. */
    String apicurioUrl() {
        return "http://127.0.0.1:" + port + "/apis/registry/v2";
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }
}
