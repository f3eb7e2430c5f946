package dev.streamclassifier.standalone;

import dev.streamclassifier.job.config.CommandLine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** README's first command, on a small load: a real broker, mini-cluster and models, and the line it ends with. */
class DemoITCase {
    private static final int EVENTS = 60;

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void classifiesEveryEventAndEndsWithItsSummaryLine() throws Exception {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        DemoSettings settings = DemoSettings.parse(CommandLine.parse(new String[] {"--events",
                Integer.toString(EVENTS), "--ui-port", Integer.toString(freePort()), "--parallelism", "1"},
                Set.of()));

        DemoSummary summary = new Demo(settings, new PrintStream(printed, true, StandardCharsets.UTF_8)).run();

        List<String> lines = printed.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(summary.accounted()).isEqualTo(EVENTS);
        assertThat(lines).anyMatch(line -> line.matches("\\[ *[0-9.]+s] produced \\d+/60 \\| labelled .*"));
        assertThat(lines.get(lines.size() - 1))
                .matches("Done: 60 events classified in [0-9.]+ s at \\d+ events/s; \\d+ labelled \\(\\d+ to review\\), "
                        + "\\d+ dead letters; mean batch [0-9.]+ \\(max \\d+, limit 32\\); models \\[ticket-routing, "
                        + "email-intent, support-intent, chat-moderation\\]; 1 slot\\(s\\) x 1 ONNX Runtime "
                        + "thread\\(s\\)\\.");
        assertThat(summary.labelled + summary.deadLetters).isEqualTo(EVENTS);
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void switchesChatModerationToANewVersionWhileEventsFlow() throws Exception {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        DemoSettings settings = DemoSettings.parse(CommandLine.parse(new String[] {"--events", "300", "--rate", "50",
                "--switch-model", "50", "--ui-port", Integer.toString(freePort()), "--parallelism", "1"}, Set.of()));

        DemoSummary summary = new Demo(settings, new PrintStream(printed, true, StandardCharsets.UTF_8)).run();

        assertThat(summary.accounted()).isEqualTo(300);
        assertThat(printed.toString(StandardCharsets.UTF_8)).contains(">>> published: activate chat-moderation demo-2",
                "chat-moderation demo-2 ACTIVE");
        assertThat(summary.versions.get("chat-moderation")).as("predictions per version").hasSize(2)
                .containsKey(Demo.SWITCHED_VERSION);
        assertThat(summary.versions.get("ticket-routing")).as("other models keep their version").hasSize(1);
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Test
    void aBadCommandLineIsRejectedBeforeAnythingStarts() {
        assertThatThrownBy(() -> DemoSettings.parse(CommandLine.parse(new String[] {"--events", "0"}, Set.of())))
                .hasMessage("--events must be at least 1, was 0");
        assertThatThrownBy(() -> DemoSettings.parse(CommandLine.parse(new String[] {"--data-kind", "fax"}, Set.of())))
                .hasMessageContaining("ticket, email or chat");
    }
}
