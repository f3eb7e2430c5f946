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
}
