package dev.streamclassifier.job.classify;

import dev.streamclassifier.job.TestConfigs;
import dev.streamclassifier.udf.BatchClassifier;
import dev.streamclassifier.udf.ClassScores;
import dev.streamclassifier.udf.WindowPolicy;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Long chats on the real chat-moderation model, read as the moderation task's defaults read them. */
class LongTextTest {
    private static final String SMALL_TALK = "hey, are we still meeting for lunch tomorrow? ";
    private static final String INSULT = "shut up you stupid idiot, nobody asked you, you worthless loser";
    private static final WindowPolicy MODERATION = new WindowPolicy(12, 16, 4, WindowPolicy.Aggregation.MAX, "safe");

    private static List<ClassScores> classify(WindowPolicy windows, String... texts) throws Exception {
        try (BatchClassifier classifier = ClassifierOpener.MODELS.open("chat-moderation", TestConfigs.models(),
                TestConfigs.batch(8, Duration.ZERO).shape())) {
            return classifier.classify(List.of(texts), windows);
        }
    }

    @Test
    void smallWindowsFindTheInsultThatOneWholeWindowDilutes() throws Exception {
        String chat = SMALL_TALK.repeat(4) + INSULT;
        ClassScores whole = classify(WindowPolicy.FIRST_WINDOW, chat).get(0);
        List<ClassScores> windowed = classify(MODERATION, chat, "see you at lunch");

        assertThat(whole.bestLabel()).as("the insult among small talk, read at once").isEqualTo("safe");
        assertThat(whole.truncated()).isFalse();
        assertThat(windowed.get(0).bestLabel()).isEqualTo("toxic");
        assertThat(windowed.get(0).windows()).isBetween(4, 12);
        assertThat(windowed.get(0).truncated()).as("every window read").isFalse();
        assertThat(windowed.get(1).windows()).as("a short text is one window").isEqualTo(1);
        assertThat(windowed.get(1).bestLabel()).isEqualTo("safe");
    }

    @Test
    void theMeanOfTheWindowsDilutesOneBadPassage() throws Exception {
        String chat = SMALL_TALK.repeat(4) + INSULT;
        ClassScores mean = classify(new WindowPolicy(12, 16, 4, WindowPolicy.Aggregation.MEAN, null), chat).get(0);
        ClassScores max = classify(MODERATION, chat).get(0);
        int safe = mean.labels().indexOf("safe");

        assertThat(mean.windows()).isEqualTo(max.windows());
        assertThat(mean.probabilities()[safe]).isGreaterThan(max.probabilities()[safe]);
    }

    @Test
    void theWindowCapBoundsTheCostAndTheEventSaysTheTextWasCut() throws Exception {
        ClassScores capped = classify(MODERATION, SMALL_TALK.repeat(20) + INSULT).get(0);

        assertThat(capped.windows()).isEqualTo(12);
        assertThat(capped.truncated()).isTrue();
        assertThat(capped.bestLabel()).as("the insult lies past the 12th window").isEqualTo("safe");
    }
}
