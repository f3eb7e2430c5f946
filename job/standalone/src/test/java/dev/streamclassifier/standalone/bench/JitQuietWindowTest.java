package dev.streamclassifier.standalone.bench;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class JitQuietWindowTest {
    private static final long SECOND = 1_000_000_000L;

    /** A 10 s window, quiet under 5% of a core, started at time 0 with no compile time. */
    private final JitQuietWindow window = new JitQuietWindow(Duration.ofSeconds(10), 0.05, 0, 0);

    @Test
    void roundShareIsTheCompilerTimeOverTheRoundsWallTime() {
        JitQuietWindow.Reading reading = window.endRound(2 * SECOND, 500);

        assertThat(reading.roundShare()).isCloseTo(0.25, within(1e-9));
        assertThat(reading.windowShare()).isCloseTo(0.25, within(1e-9));
    }

    @Test
    void aRoundLongerThanTheWindowIsMeasuredOverThatRound() {
        window.endRound(2 * SECOND, 1_000);
        // One 15 s round with 150 ms of compiling: 1% of a core, the earlier busy round out of the window.
        JitQuietWindow.Reading reading = window.endRound(17 * SECOND, 1_150);

        assertThat(reading.windowSpan()).isEqualTo(Duration.ofSeconds(15));
        assertThat(reading.windowShare()).isCloseTo(0.01, within(1e-9));
        assertThat(reading.quiet()).isTrue();
    }

    @Test
    void quietRoundsShorterThanTheWindowAreNotEnough() {
        JitQuietWindow.Reading reading = null;
        for (int round = 1; round <= 4; round++) {
            reading = window.endRound(round * 2 * SECOND, 0);
        }

        assertThat(reading.windowSpan()).isEqualTo(Duration.ofSeconds(8));
        assertThat(reading.quiet()).isFalse();
    }

    @Test
    void aFullWindowUnderTheShareIsQuiet() {
        JitQuietWindow.Reading reading = null;
        for (int round = 1; round <= 5; round++) {
            // 40 ms of compiling per 2 s round: 2% of a core.
            reading = window.endRound(round * 2 * SECOND, round * 40L);
        }

        assertThat(reading.windowShare()).isCloseTo(0.02, within(1e-9));
        assertThat(reading.quiet()).isTrue();
    }

    @Test
    void aBurstKeepsTheWindowBusyUntilItAgesOut() {
        // A burst of 1.5 s of compiling in the first 2 s round, then quiet rounds.
        window.endRound(2 * SECOND, 1_500);
        JitQuietWindow.Reading afterBurst = null;
        for (int round = 2; round <= 5; round++) {
            afterBurst = window.endRound(round * 2 * SECOND, 1_500);
        }
        assertThat(afterBurst.roundShare()).isZero();
        assertThat(afterBurst.quiet()).as("the burst is still inside the last 10 s").isFalse();

        // At 12 s the burst's round (0-2 s) lies exactly one window back: it leaves the window.
        JitQuietWindow.Reading later = window.endRound(12 * SECOND, 1_500);
        assertThat(later.windowSpan()).isEqualTo(Duration.ofSeconds(10));
        assertThat(later.windowShare()).isZero();
        assertThat(later.quiet()).isTrue();
    }
}
