package dev.streamclassifier.metrics;

import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

import java.util.Properties;

/**
 * Flink's Prometheus reporter, serving {@code /metrics} on a configured host instead of on every interface (Flink's own
 * factory has no such setting). Configure it as Flink's, plus {@code host}:
 *
 * <pre>
 * metrics.reporter.prom.factory.class: dev.streamclassifier.metrics.HostBoundPrometheusReporterFactory
 * metrics.reporter.prom.host: 10.0.0.5
 * metrics.reporter.prom.port: 9249
 * </pre>
 *
 * The jar goes into {@code plugins/metrics-prometheus/}, beside {@code flink-metrics-prometheus}.
 */
public final class HostBoundPrometheusReporterFactory implements MetricReporterFactory {
    static final String HOST = "host";
    static final String PORT = "port";
    /** Loopback unless told otherwise: metrics are for the scraper on the host's own network, not the world. */
    static final String DEFAULT_HOST = "localhost";
    static final String DEFAULT_PORT = "9249";

    @Override
    public HostBoundPrometheusReporter createMetricReporter(Properties properties) {
        MetricConfig config = (MetricConfig) properties;
        return new HostBoundPrometheusReporter(config.getString(HOST, DEFAULT_HOST),
                config.getString(PORT, DEFAULT_PORT));
    }
}
