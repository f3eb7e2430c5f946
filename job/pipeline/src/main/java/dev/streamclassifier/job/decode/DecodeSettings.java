package dev.streamclassifier.job.decode;

import dev.streamclassifier.job.event.EventKind;
import dev.streamclassifier.job.registry.RegistrySettings;

import java.io.Serializable;
import java.util.Map;

/**
 * How input records become text events.
 *
 * @param formats the encoding of each kind's topic
 * @param json how JSON of each kind is read
 * @param stripQuotedReplies whether an email's quoted replies and signature are left out of its text
 * @param registry the schema registry, for topics in {@link InputFormat#REGISTRY_AVRO} (and {@code auto})
 */
public record DecodeSettings(Map<EventKind, InputFormat> formats, Map<EventKind, JsonMapping> json,
        boolean stripQuotedReplies, RegistrySettings registry) implements Serializable {
    public DecodeSettings {
        formats = Map.copyOf(formats);
        json = Map.copyOf(json);
    }

    public DecodeSettings(Map<EventKind, InputFormat> formats, Map<EventKind, JsonMapping> json,
            boolean stripQuotedReplies) {
        this(formats, json, stripQuotedReplies, RegistrySettings.NONE);
    }
}
