package dev.streamclassifier.job.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A client of the Confluent-compatible schema registry REST API (Confluent, Apicurio's ccompat, Karapace, Redpanda):
 * looks writer schemas up by id and registers output schemas, caching both, since ids never change meaning. While the
 * registry cannot be reached, or answers with a server error, every call waits and retries with a growing backoff: the
 * stream stalls, and no record is dead-lettered for the registry's sake. Only an id the registry says it does not
 * have is the record's fault ({@link UnknownSchemaException}).
 *
 * <p>Thread-safe; one per operator instance.
 */
public final class SchemaRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(SchemaRegistry.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(100);
    /** How long an id the registry did not know stays known as unknown, so a flood of such records is not a flood of requests. */
    private static final long UNKNOWN_FOR_NANOS = Duration.ofMinutes(1).toNanos();

    private final RegistrySettings settings;
    private final HttpClient http;
    private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();
    private final Map<Integer, Long> unknownIds = new ConcurrentHashMap<>();
    private final Map<String, Integer> idsBySubjectAndSchema = new ConcurrentHashMap<>();
    private final AtomicLong retries = new AtomicLong();

    public SchemaRegistry(RegistrySettings settings) {
        if (!settings.configured()) {
            throw new IllegalArgumentException("registry.url is not set: a topic in format registry-avro needs it");
        }
        this.settings = settings;
        this.http = HttpClient.newBuilder().connectTimeout(settings.requestTimeout())
                .version(HttpClient.Version.HTTP_1_1).build();
    }

    /** Thrown when the registry answers that it has no schema with the id a record carries. */
    public static final class UnknownSchemaException extends Exception {
        UnknownSchemaException(String message) {
            super(message);
        }
    }

    /** Thrown when the registry refuses a request for a reason retrying cannot fix (an incompatible schema, say). */
    public static final class RegistryException extends RuntimeException {
        RegistryException(String message) {
            super(message);
        }
    }

    /** The writer schema registered under {@code id}. Waits out registry outages. */
    public Schema schemaById(int id) throws UnknownSchemaException {
        Schema known = schemasById.get(id);
        if (known != null) {
            return known;
        }
        Long unknownSince = unknownIds.get(id);
        if (unknownSince != null && System.nanoTime() - unknownSince < UNKNOWN_FOR_NANOS) {
            throw unknown(id);
        }
        Response response = send(HttpRequest.newBuilder(uri("/schemas/ids/" + id)).GET(), "look up schema id " + id);
        if (response.status() == 404) {
            unknownIds.put(id, System.nanoTime());
            throw unknown(id);
        }
        requireOk(response, "look up schema id " + id);
        JsonNode type = response.body().get("schemaType");
        if (type != null && !type.asText().equals("AVRO")) {
            throw new UnknownSchemaException("schema id " + id + " is a " + type.asText() + " schema, not Avro");
        }
        Schema schema;
        try {
            schema = new Schema.Parser().parse(response.body().path("schema").asText());
        } catch (SchemaParseException e) {
            throw new UnknownSchemaException("schema id " + id + " is not a valid Avro schema: " + e.getMessage());
        }
        schemasById.put(id, schema);
        return schema;
    }

    /** The id of {@code schema} under {@code subject}, registering it there if it is new. Waits out outages. */
    public int idFor(String subject, Schema schema) {
        String key = subject + "\n" + schema;
        Integer known = idsBySubjectAndSchema.get(key);
        if (known != null) {
            return known;
        }
        String body;
        try {
            body = JSON.writeValueAsString(Map.of("schema", schema.toString()));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        String what = "register " + schema.getFullName() + " under subject " + subject;
        Response response = send(HttpRequest.newBuilder(uri("/subjects/"
                + URLEncoder.encode(subject, StandardCharsets.UTF_8).replace("+", "%20") + "/versions"))
                .header("Content-Type", CONTENT_TYPE)
                .POST(HttpRequest.BodyPublishers.ofString(body)), what);
        requireOk(response, what);
        int id = response.body().path("id").asInt(-1);
        if (id < 0) {
            throw new RegistryException("The registry at " + settings.url() + " did not return an id when asked to "
                    + what + ": " + response.body());
        }
        idsBySubjectAndSchema.put(key, id);
        return id;
    }

    /**
     * Checks once, without retrying, that the registry answers: for start-up, so that a wrong URL or credentials
     * fail the job with a message instead of stalling it.
     */
    public void check() {
        HttpRequest request = authorized(HttpRequest.newBuilder(uri("/subjects")).GET()).build();
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalArgumentException("Cannot reach the schema registry at " + settings.url() + " ("
                    + e + "): check registry.url and that the registry is up");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while checking the schema registry", e);
        }
        if (response.statusCode() == 401 || response.statusCode() == 403) {
            throw new IllegalArgumentException("The schema registry at " + settings.url() + " refused the "
                    + "credentials (HTTP " + response.statusCode() + "): check registry.basic-auth.user-info");
        }
        if (response.statusCode() != 200) {
            throw new IllegalArgumentException("The schema registry at " + settings.url() + " answered GET /subjects "
                    + "with HTTP " + response.statusCode() + ": check that registry.url is the root of a "
                    + "Confluent-compatible API (for Apicurio, .../apis/ccompat/v7)");
        }
    }

    /** How many requests have been retried since this client was made: a metric of registry trouble. */
    public long retries() {
        return retries.get();
    }

    private record Response(int status, JsonNode body) {}

    /** Sends until the registry gives an answer that is not an outage: any 2xx or 4xx but 401, 403, 408 and 429. */
    private Response send(HttpRequest.Builder builder, String what) {
        HttpRequest request = authorized(builder.timeout(settings.requestTimeout())).build();
        Duration backoff = FIRST_BACKOFF;
        for (int attempt = 1; ; attempt++) {
            String trouble;
            try {
                HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
                int status = response.statusCode();
                if (!retryable(status)) {
                    if (attempt > 1) {
                        LOG.info("Schema registry at {} answers again (after {} attempts to {})", settings.url(),
                                attempt, what);
                    }
                    return new Response(status, parse(response.body()));
                }
                trouble = "HTTP " + status + (status == 401 || status == 403
                        ? " (check registry.basic-auth.user-info)" : "");
            } catch (IOException e) {
                trouble = e.toString();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the schema registry", e);
            }
            retries.incrementAndGet();
            if (attempt == 1 || backoff.equals(settings.maxBackoff())) {
                LOG.warn("Schema registry at {} unavailable ({}) trying to {}; retrying every {} at most. Records "
                        + "wait meanwhile; none is dead-lettered for it", settings.url(), trouble, what,
                        settings.maxBackoff());
            }
            try {
                Thread.sleep(backoff.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the schema registry", e);
            }
            backoff = backoff.multipliedBy(2).compareTo(settings.maxBackoff()) > 0 ? settings.maxBackoff()
                    : backoff.multipliedBy(2);
        }
    }

    private static boolean retryable(int status) {
        return status >= 500 || status == 401 || status == 403 || status == 408 || status == 429;
    }

    private void requireOk(Response response, String what) {
        if (response.status() / 100 != 2) {
            throw new RegistryException("The schema registry at " + settings.url() + " refused to " + what
                    + " (HTTP " + response.status() + "): " + response.body().path("message").asText(
                    response.body().toString()));
        }
    }

    private HttpRequest.Builder authorized(HttpRequest.Builder builder) {
        builder.header("Accept", CONTENT_TYPE + ", application/json");
        if (settings.userInfo() != null && !settings.userInfo().isEmpty()) {
            builder.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                    settings.userInfo().getBytes(StandardCharsets.UTF_8)));
        }
        return builder;
    }

    private URI uri(String path) {
        return URI.create(settings.url() + path);
    }

    private UnknownSchemaException unknown(int id) {
        return new UnknownSchemaException("schema id " + id + " is not in the registry at " + settings.url());
    }

    private static JsonNode parse(String body) {
        try {
            return body == null || body.isBlank() ? JSON.createObjectNode() : JSON.readTree(body);
        } catch (IOException e) {
            return JSON.createObjectNode().put("message", body);
        }
    }
}
