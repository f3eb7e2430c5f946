package dev.streamclassifier.classifiers;

import dev.streamclassifier.udf.ClassScores;
import dev.streamclassifier.udf.ExecutionDevice;
import dev.streamclassifier.udf.ModelDirectory;
import dev.streamclassifier.udf.TextClassifier;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The default classifiers as the build assembles them: known texts get the expected labels. */
class BundledClassifiersTest {

    private static List<String> labels(String model, List<String> texts) throws Exception {
        try (TextClassifier classifier = TextClassifier.open(ModelDirectory.locate(model, null), 1,
                ExecutionDevice.CPU)) {
            List<ClassScores> scores = classifier.classify(texts);
            for (ClassScores score : scores) {
                float sum = 0;
                for (float p : score.probabilities()) {
                    sum += p;
                }
                assertThat(sum).isBetween(0.999f, 1.001f);
            }
            return scores.stream().map(ClassScores::bestLabel).toList();
        }
    }

    @Test
    void ticketRoutingKnowsCommonBankingRequests() throws Exception {
        assertThat(labels("ticket-routing", List.of(
                "I lost my card yesterday, please block it",
                "How do I change my PIN?",
                "My card still has not arrived after two weeks",
                "What exchange rate do you use?")))
                .containsExactly("lost_or_stolen_card", "change_pin", "card_arrival", "exchange_rate");
    }

    @Test
    void chatModerationSeparatesSpamAndSafeMessages() throws Exception {
        assertThat(labels("chat-moderation", List.of(
                "WINNER!! You have won a 1000 cash prize. Call 09061701461 now to claim",
                "are we still meeting for lunch tomorrow?",
                "Free entry in a weekly competition to win cup final tickets. Text WIN to 80086 now")))
                .containsExactly("spam", "safe", "spam");
    }

    @Test
    void supportIntentNamesInScopeIntentsAndSendsTheRestToOos() throws Exception {
        assertThat(labels("support-intent", List.of(
                "what is the weather going to be like tomorrow",
                "please book a flight from boston to denver",
                "how do I say thank you in french",
                "who won the football world cup in 1966",
                "how many legs does a spider have")))
                .containsExactly("weather", "book_flight", "translate", "oos", "oos");
    }

    @Test
    void emailIntentTellsRequestsFromInformation() throws Exception {
        assertThat(labels("email-intent", List.of(
                "Can you send me the signed contract by Friday?",
                "Please review the attached draft and let me know your comments.",
                "The meeting yesterday went well.",
                "Our quarterly newsletter is attached for your information.")))
                .containsExactly("intent", "intent", "no_intent", "no_intent");
    }

    @Test
    void bundledIndexListsTheDefaults() {
        assertThat(ModelDirectory.bundledNames())
                .contains("ticket-routing", "support-intent", "email-intent", "chat-moderation");
    }

    @Test
    void closingTwiceIsHarmless() throws Exception {
        TextClassifier classifier = TextClassifier.open(ModelDirectory.locate("chat-moderation", null), 1,
                ExecutionDevice.CPU);
        classifier.close();
        classifier.close();
    }
}
