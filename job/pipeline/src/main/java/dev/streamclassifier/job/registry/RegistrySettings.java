package dev.streamclassifier.job.registry;

import java.io.Serializable;
import java.net.URI;
import java.time.Duration;

/**
 * Where the schema registry is and how to talk to it; serializable, so it travels with the job graph.
 *
 * @param url the registry's Confluent-compatible REST root, e.g. {@code http://registry:8081} or Apicurio's
 *     {@code http://registry:8080/apis/ccompat/v7}; null when no topic uses the registry
 * @param userInfo {@code user:password} for HTTP basic authentication, or null
 * @param subjects how output subjects are named
 * @param maxBackoff the longest wait between retries while the registry cannot be reached
 * @param requestTimeout how long one request may take
 */
public record RegistrySettings(String url, String userInfo, SubjectStrategy subjects, Duration maxBackoff,
        Duration requestTimeout) implements Serializable {
    /** No registry configured. */
    public static final RegistrySettings NONE = new RegistrySettings(null, null, SubjectStrategy.TOPIC,
            Duration.ofSeconds(30), Duration.ofSeconds(10));

    public RegistrySettings {
        if (url != null) {
            url = url.trim().replaceAll("/+$", "");
            URI uri = URI.create(url);
            if (uri.getScheme() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))) {
                throw new IllegalArgumentException("registry.url must be an http(s) URL such as "
                        + "http://registry:8081, not '" + url + "'");
            }
        }
    }

    public boolean configured() {
        return url != null && !url.isEmpty();
    }
}
