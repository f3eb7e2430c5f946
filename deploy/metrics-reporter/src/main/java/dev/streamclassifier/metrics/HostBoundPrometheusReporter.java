package dev.streamclassifier.metrics;

import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.exporter.HTTPServer;
import org.apache.flink.metrics.prometheus.AbstractPrometheusReporter;
import org.apache.flink.util.PortRange;

import java.io.IOException;
import java.lang.reflect.Field;
import java.net.InetSocketAddress;
import java.util.Iterator;

/**
 * Flink's Prometheus reporter with its HTTP server bound to one host. The metrics and their names are Flink's own:
 * this class only starts the server, on the first free port of the configured range.
 */
public final class HostBoundPrometheusReporter extends AbstractPrometheusReporter {
    private final HTTPServer server;
    private final int port;

    HostBoundPrometheusReporter(String host, String ports) {
        CollectorRegistry registry = registry();
        HTTPServer started = null;
        int boundPort = -1;
        Iterator<Integer> candidates = new PortRange(ports).getPortsIterator();
        IOException last = null;
        while (started == null && candidates.hasNext()) {
            boundPort = candidates.next();
            try {
                started = new HTTPServer(new InetSocketAddress(host, boundPort), registry, true);
            } catch (IOException e) {
                last = e; // taken: try the next port of the range
            }
        }
        if (started == null) {
            throw new IllegalStateException("Cannot serve Prometheus metrics on " + host + " at any port of " + ports
                    + ": " + (last == null ? "no port in the range" : last.getMessage())
                    + ". Check metrics.reporter.prom.host and metrics.reporter.prom.port.", last);
        }
        server = started;
        port = boundPort;
        log.info("Serving Prometheus metrics on {}:{}", host, port);
    }

    /** The port the server took. */
    public int port() {
        return port;
    }

    /**
     * The registry the base class fills. Flink keeps it package-private, and its own subclass is the only one that
     * starts a server; reading the field is what lets this reporter choose the address.
     */
    private CollectorRegistry registry() {
        try {
            Field field = AbstractPrometheusReporter.class.getDeclaredField("registry");
            field.setAccessible(true);
            return (CollectorRegistry) field.get(this);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("This version of flink-metrics-prometheus keeps its metrics elsewhere; "
                    + "use org.apache.flink.metrics.prometheus.PrometheusReporterFactory instead", e);
        }
    }

    @Override
    public void close() {
        server.stop();
        super.close();
    }
}
