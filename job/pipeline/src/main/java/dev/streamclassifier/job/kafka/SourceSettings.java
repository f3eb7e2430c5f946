package dev.streamclassifier.job.kafka;

import dev.streamclassifier.job.event.EventKind;

import java.io.Serializable;
import java.util.List;
import java.util.Map;

/**
 * Where the job reads its input.
 *
 * @param groupId the consumer group the sources commit their offsets under at checkpoints
 * @param topics the input topic of each kind of event
 * @param headers names of the input headers the job carries to its outputs
 */
public record SourceSettings(KafkaClientSettings client, String groupId, Map<EventKind, String> topics,
        List<String> headers) implements Serializable {
    public SourceSettings {
        topics = Map.copyOf(topics);
        headers = List.copyOf(headers);
    }
}
