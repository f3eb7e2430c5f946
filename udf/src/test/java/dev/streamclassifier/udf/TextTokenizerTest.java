package dev.streamclassifier.udf;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TextTokenizerTest {
    private static TextTokenizer tokenizer;

    @BeforeAll
    static void load() throws IOException {
        tokenizer = TextTokenizer.load(TestEncoder.tokenizer(), 16);
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    @Test
    void addsSpecialTokensAndDoesNotPadEvenThoughTheFileSaysFixed128() {
        TextTokenizer.TokenizedText text = tokenizer.encode("hello world");

        assertThat(text.ids()).containsExactly(101, 7592, 2088, 102);
        assertThat(text.attentionMask()).containsOnly(1);
        assertThat(text.truncated()).isFalse();
    }

    @Test
    void truncatesToTheWindowAndSaysSo() {
        TextTokenizer.TokenizedText text = tokenizer.encode("one two three four five six seven eight nine ten "
                + "eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen");

        assertThat(text.length()).isEqualTo(16);
        assertThat(text.ids()[15]).isEqualTo(102);
        assertThat(text.truncated()).isTrue();
    }

    @Test
    void treatsNullAsEmptyText() {
        assertThat(tokenizer.encode(null).ids()).containsExactly(101, 102);
    }

    @Test
    void batchPadsToTheLongestTextOnly() {
        TextTokenizer.TokenizedText[] texts = tokenizer.encodeAll(List.of("hi", "hello there my friend"));

        TokenBatch batch = TokenBatch.pad(texts, 0, 2);

        assertThat(batch.shape()).containsExactly(2, texts[1].length());
        int longest = texts[1].length();
        assertThat(batch.attentionMask()[longest - 1]).isZero();
        assertThat(batch.attentionMask()[longest + longest - 1]).isEqualTo(1);
        assertThat(batch.ids()[2]).isEqualTo(102);
    }

    @Test
    void missingTokenizerFileSaysWhatIsExpected() {
        assertThatThrownBy(() -> TextTokenizer.load(Path.of("no/such/tokenizer.json"), 16))
                .isInstanceOf(IOException.class).hasMessageContaining("tokenizer.json");
    }

    @Test
    void closeIsIdempotent() throws IOException {
        TextTokenizer own = TextTokenizer.load(TestEncoder.tokenizer(), 16);
        own.close();
        own.close();
    }

    @Test
    void readsALongTextAsOverlappingWindowsEachFramedBySpecialTokens() {
        String text = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
                + "sixteen seventeen eighteen nineteen twenty twenty-one";
        TextTokenizer.TokenizedText whole = tokenizer.encodeWindows(text, 1, 0, 0)[0];
        TextTokenizer.TokenizedText[] windows = tokenizer.encodeWindows(text, 10, 0, 4);

        assertThat(whole.length()).isEqualTo(16);
        assertThat(windows).as("23 text tokens in windows of 14 that start 10 apart").hasSize(2);
        for (TextTokenizer.TokenizedText window : windows) {
            assertThat(window.length()).isLessThanOrEqualTo(16);
            assertThat(window.ids()[0]).isEqualTo(101);
            assertThat(window.ids()[window.length() - 1]).isEqualTo(102);
            assertThat(window.attentionMask()).containsOnly(1);
        }
        // 14 tokens per window, 4 of them shared with the window before: the second starts 10 tokens in.
        assertThat(windows[1].ids()[1]).isEqualTo(windows[0].ids()[11]);
        assertThat(windows[windows.length - 1].truncated()).isFalse();
        assertThat(tokenizer.encodeWindows(text, 1, 0, 4)).as("one window at most").hasSize(1)
                .satisfies(one -> assertThat(one[0].truncated()).isTrue());
        assertThat(tokenizer.encodeWindows("hello world", 10, 0, 4)).hasSize(1);
        TextTokenizer.TokenizedText[] small = tokenizer.encodeWindows(text, 10, 6, 1);
        assertThat(small).as("windows of 4 text tokens, 3 apart, over 23 tokens: 1 + ceil(19 / 3)").hasSize(8);
        assertThat(small).allSatisfy(window -> assertThat(window.length()).isLessThanOrEqualTo(6));
        TextTokenizer.TokenizedText[] capped = tokenizer.encodeWindows(text, 3, 6, 1);
        assertThat(capped).as("capped at 3 windows, the text goes on").hasSize(3);
        assertThat(capped[2].truncated()).isTrue();
        assertThat(capped[2].ids()[1]).as("the third window starts 6 text tokens in").isEqualTo(small[2].ids()[1]);
    }
}
