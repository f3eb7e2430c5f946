package dev.streamclassifier.job.lifecycle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.streamclassifier.schemas.ModelAction;
import dev.streamclassifier.schemas.ModelUpdate;
import dev.streamclassifier.schemas.SingleObjectCodec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Reads and writes the control topic's records: a {@link ModelUpdate} as Avro single-object (what the {@code models}
 * command writes) or as a JSON object with the same field names (what a console producer can type), the action in any
 * case, {@code -} or {@code _}.
 */
public final class ModelCommands {
    /** The shadow share when a shadow update does not give one. */
    public static final double DEFAULT_SHADOW_SHARE = 0.1;
    private static final ObjectMapper JSON = new ObjectMapper();

    private ModelCommands() {}

    /** @throws IllegalArgumentException saying what is wrong with the record */
    public static ModelCommand decode(byte[] value, long sequence) {
        if (value == null || value.length == 0) {
            throw new IllegalArgumentException("empty model update");
        }
        ModelUpdate update;
        if (SingleObjectCodec.isSingleObject(value)) {
            try {
                update = SingleObjectCodec.<ModelUpdate>of(ModelUpdate.getClassSchema()).decode(value);
            } catch (IOException | RuntimeException e) {
                throw new IllegalArgumentException("not a valid Avro ModelUpdate: " + e.getMessage(), e);
            }
        } else {
            update = fromJson(value);
        }
        return validate(update, sequence);
    }

    public static byte[] encode(ModelUpdate update) {
        validate(update, 0);
        return SingleObjectCodec.<ModelUpdate>of(ModelUpdate.getClassSchema()).encode(update);
    }

    public static ModelAction action(String text) {
        try {
            return ModelAction.valueOf(text.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown action '" + text
                    + "': use activate, shadow, rollback or deactivate-shadow", e);
        }
    }

    private static ModelUpdate fromJson(byte[] value) {
        JsonNode node;
        try {
            node = JSON.readTree(new String(value, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalArgumentException("neither an Avro ModelUpdate nor JSON: " + e.getMessage(), e);
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("a model update must be a JSON object such as {\"model\": "
                    + "\"chat-moderation\", \"version\": \"2.0.0\", \"action\": \"activate\"}");
        }
        if (!node.path("model").isTextual() || !node.path("action").isTextual()) {
            throw new IllegalArgumentException("a model update needs the strings 'model' and 'action'");
        }
        return ModelUpdate.newBuilder()
                .setModel(node.get("model").asText())
                .setVersion(node.path("version").isTextual() ? node.get("version").asText() : null)
                .setAction(action(node.get("action").asText()))
                .setShadowShare(node.path("shadowShare").isNumber() ? node.get("shadowShare").asDouble() : null)
                .setAllowLabelChange(node.path("allowLabelChange").asBoolean(false))
                .setRequestedBy(node.path("requestedBy").isTextual() ? node.get("requestedBy").asText() : null)
                .build();
    }

    private static ModelCommand validate(ModelUpdate update, long sequence) {
        if (update.getModel() == null || update.getModel().isBlank()) {
            throw new IllegalArgumentException("a model update needs the model's name");
        }
        ModelAction action = update.getAction();
        boolean needsVersion = action == ModelAction.ACTIVATE || action == ModelAction.SHADOW;
        if (needsVersion && (update.getVersion() == null || update.getVersion().isBlank())) {
            throw new IllegalArgumentException(action.name().toLowerCase(Locale.ROOT) + " of " + update.getModel()
                    + " needs a version");
        }
        double share = update.getShadowShare() == null ? DEFAULT_SHADOW_SHARE : update.getShadowShare();
        if (!(share > 0 && share <= 1)) {
            throw new IllegalArgumentException("shadowShare must be above 0 and at most 1, was " + share);
        }
        return new ModelCommand(update.getModel(), update.getVersion(), action, share,
                update.getAllowLabelChange(), sequence);
    }
}
