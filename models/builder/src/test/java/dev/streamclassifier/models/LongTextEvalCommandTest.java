package dev.streamclassifier.models;

import dev.streamclassifier.udf.LabelledText;
import dev.streamclassifier.udf.WindowPolicy;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LongTextEvalCommandTest {
    private static final List<String> FILLER = List.of("see you soon", "the bus was late again today",
            "did you feed the cat", "lunch at noon works for me");

    @Test
    void buriesThePassageAtTheStartInTheMiddleOrAtTheEndOfEnoughFiller() {
        LabelledText passage = new LabelledText("you worthless idiot", "toxic");
        for (int position = 0; position < 3; position++) {
            LongTextEvalCommand.LongText text = LongTextEvalCommand.bury(passage, position, FILLER, 60,
                    new Random(position));
            assertThat(text.text().split("\\s+").length).isGreaterThanOrEqualTo(60);
            assertThat(text.text()).contains(passage.text());
            int at = text.text().indexOf(passage.text());
            switch (position) {
                case 0 -> assertThat(at).isZero();
                case 1 -> assertThat(at).isBetween(text.text().length() / 5, text.text().length() * 4 / 5);
                default -> assertThat(text.text()).endsWith(passage.text());
            }
        }
    }

    @Test
    void readsWindowsTimesTokensPolicies() {
        WindowPolicy policy = LongTextEvalCommand.parse("12x16", 4, WindowPolicy.Aggregation.MAX, "safe");

        assertThat(policy).isEqualTo(new WindowPolicy(12, 16, 4, WindowPolicy.Aggregation.MAX, "safe"));
        assertThatThrownBy(() -> LongTextEvalCommand.parse("12by16", 4, WindowPolicy.Aggregation.MEAN, null))
                .hasMessageContaining("WINDOWSxTOKENS");
    }
}
