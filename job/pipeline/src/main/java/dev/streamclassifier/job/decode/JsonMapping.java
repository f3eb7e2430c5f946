package dev.streamclassifier.job.decode;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a JSON input keeps what the job needs, as JSON pointers (RFC 6901): the id, the parts of the text (joined by
 * {@code textSeparator}, empty parts left out), the event's time, and fields to carry into the labelled event.
 *
 * @param time a pointer to epoch milliseconds or an ISO-8601 instant; missing: the Kafka record's timestamp
 * @param attributes output name to pointer, e.g. {@code customerId -> /ticket/customer/id}
 */
public record JsonMapping(String id, List<String> text, String textSeparator, String time,
        Map<String, String> attributes) implements Serializable {
    public JsonMapping {
        text = List.copyOf(text);
        attributes = new LinkedHashMap<>(attributes);
    }
}
