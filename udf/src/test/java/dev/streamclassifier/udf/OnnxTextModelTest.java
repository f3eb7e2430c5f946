package dev.streamclassifier.udf;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The session wrapper on the real int8 encoder: its pooled input is the encoder's {@code [batch, seq, 384]} output. */
class OnnxTextModelTest {

    @Test
    void rejectsAnOutputTheModelDoesNotHave() throws Exception {
        byte[] encoder = Files.readAllBytes(TestEncoder.model());
        assertThatThrownBy(() -> OnnxTextModel.open("minilm", encoder, "probabilities", 1, ExecutionDevice.CPU))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("last_hidden_state")
                .hasMessageContaining("probabilities");
    }

    @Test
    void rejectsAThreeDimensionalOutput() throws Exception {
        byte[] encoder = Files.readAllBytes(TestEncoder.model());
        assertThatThrownBy(() -> OnnxTextModel.open("minilm", encoder, "last_hidden_state", 1, ExecutionDevice.CPU))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[batch, width]");
    }

    @Test
    void deviceNamesAreParsedAndUnknownOnesExplained() {
        assertThat(ExecutionDevice.parse(" CUDA ")).isEqualTo(ExecutionDevice.CUDA);
        assertThatThrownBy(() -> ExecutionDevice.parse("tpu")).hasMessageContaining("'cpu' or 'cuda'");
    }

    @Test
    void closeAllClosesEveryResourceEvenWhenOneFails() {
        boolean[] closed = new boolean[2];
        AutoCloseable failing = () -> {
            closed[0] = true;
            throw new IllegalStateException("first");
        };
        AutoCloseable second = () -> closed[1] = true;

        assertThatThrownBy(() -> Closeables.closeAll(failing, null, second)).hasMessage("first");
        assertThat(closed).containsExactly(true, true);
    }
}
