package dev.streamclassifier.job.lifecycle;

import dev.streamclassifier.schemas.ModelAction;
import dev.streamclassifier.schemas.ModelUpdate;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelCommandsTest {
    private static ModelCommand json(String json) {
        return ModelCommands.decode(json.getBytes(StandardCharsets.UTF_8), 7);
    }

    @Test
    void readsTheJsonAConsoleProducerTypes() {
        ModelCommand activate = json("{\"model\": \"chat-moderation\", \"version\": \"2.0.0\", \"action\": \"activate\"}");
        ModelCommand stop = json("{\"model\": \"chat-moderation\", \"action\": \"deactivate-shadow\"}");
        ModelCommand shadow = json("{\"model\": \"m\", \"version\": \"3\", \"action\": \"SHADOW\", \"shadowShare\": 0.25}");

        assertThat(activate.action).isEqualTo(ModelAction.ACTIVATE);
        assertThat(activate.version).isEqualTo("2.0.0");
        assertThat(activate.sequence).isEqualTo(7);
        assertThat(stop.action).isEqualTo(ModelAction.DEACTIVATE_SHADOW);
        assertThat(shadow.shadowShare).isEqualTo(0.25);
        assertThat(json("{\"model\": \"m\", \"action\": \"rollback\"}").version).isNull();
    }

    @Test
    void readsWhatTheModelsCommandWrites() {
        byte[] avro = ModelCommands.encode(ModelUpdate.newBuilder().setModel("ticket-routing").setVersion("1.1")
                .setAction(ModelAction.SHADOW).setShadowShare(0.5).setAllowLabelChange(true).build());

        ModelCommand command = ModelCommands.decode(avro, 3);
        assertThat(command.model).isEqualTo("ticket-routing");
        assertThat(command.shadowShare).isEqualTo(0.5);
        assertThat(command.allowLabelChange).isTrue();
    }

    @Test
    void saysWhatIsWrongWithABadUpdate() {
        assertThatThrownBy(() -> json("{\"model\": \"m\", \"action\": \"activate\"}")).hasMessageContaining("needs a version");
        assertThatThrownBy(() -> json("{\"model\": \"m\", \"action\": \"promote\", \"version\": \"2\"}"))
                .hasMessageContaining("use activate, shadow, rollback or deactivate-shadow");
        assertThatThrownBy(() -> json("{\"model\": \"m\", \"version\": \"2\", \"action\": \"shadow\", \"shadowShare\": 2}"))
                .hasMessageContaining("shadowShare");
        assertThatThrownBy(() -> json("[1, 2]")).hasMessageContaining("JSON object");
        assertThatThrownBy(() -> json("not json")).hasMessageContaining("neither an Avro ModelUpdate nor JSON");
    }
}
