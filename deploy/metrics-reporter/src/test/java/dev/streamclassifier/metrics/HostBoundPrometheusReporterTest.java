package dev.streamclassifier.metrics;

import org.apache.flink.metrics.CharacterFilter;
import org.apache.flink.metrics.LogicalScopeProvider;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.SimpleCounter;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.junit.jupiter.api.Test;

import java.net.HttpURLConnection;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The reporter serves Flink's metrics on the host it is given, and on no other address. */
class HostBoundPrometheusReporterTest {

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static HostBoundPrometheusReporter reporter(String host, int port) {
        MetricConfig config = new MetricConfig();
        config.setProperty(HostBoundPrometheusReporterFactory.HOST, host);
        config.setProperty(HostBoundPrometheusReporterFactory.PORT, Integer.toString(port));
        return new HostBoundPrometheusReporterFactory().createMetricReporter(config);
    }

    /** An address of this machine other than loopback, if it has one. */
    private static Optional<InetAddress> otherAddress() throws Exception {
        for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            for (InetAddress address : Collections.list(nic.getInetAddresses())) {
                if (address instanceof Inet4Address && !address.isLoopbackAddress()) {
                    return Optional.of(address);
                }
            }
        }
        return Optional.empty();
    }

    @Test
    void servesFlinksMetricsOnTheConfiguredHostOnly() throws Exception {
        int port = freePort();
        HostBoundPrometheusReporter reporter = reporter("127.0.0.1", port);
        try {
            reporter.open(new MetricConfig());
            SimpleCounter counter = new SimpleCounter();
            counter.inc(7);
            reporter.notifyOfAddedMetric(counter, "classifierRecordsIn", new OperatorScope());

            HttpURLConnection connection = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + "/metrics")
                    .toURL().openConnection();
            String body = new String(connection.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(connection.getResponseCode()).isEqualTo(200);
            assertThat(body).contains("flink_taskmanager_job_task_operator_classifierRecordsIn 7.0");
            assertThat(reporter.port()).isEqualTo(port);

            Optional<InetAddress> other = otherAddress();
            if (other.isPresent()) {
                assertThatThrownBy(() -> new Socket(other.get(), port).close())
                        .as("not served on %s", other.get()).isInstanceOf(java.net.ConnectException.class);
            }
        } finally {
            reporter.close();
        }
    }

    @Test
    void aPortThatIsTakenSaysWhatToCheck() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            assertThatThrownBy(() -> reporter("127.0.0.1", taken.getLocalPort()))
                    .hasMessageContaining("metrics.reporter.prom.host");
        }
    }

    /** A metric group with the logical scope Flink gives an operator's metrics. */
    private static final class OperatorScope extends UnregisteredMetricsGroup implements LogicalScopeProvider {
        @Override
        public String getLogicalScope(CharacterFilter filter) {
            return getLogicalScope(filter, '.');
        }

        @Override
        public String getLogicalScope(CharacterFilter filter, char delimiter) {
            return String.join(String.valueOf(delimiter), "taskmanager", "job", "task", "operator");
        }

        @Override
        public MetricGroup getWrappedMetricGroup() {
            return this;
        }
    }
}
