package dev.streamclassifier.job.classify;

import dev.streamclassifier.udf.ClassScores;
import dev.streamclassifier.udf.WindowPolicy;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ResultCacheTest {
    private static final ClassScores SCORES = new ClassScores(List.of("a", "b"), new float[] {0.7f, 0.3f}, false);
    private static final WindowPolicy MODERATION = new WindowPolicy(12, 16, 4, WindowPolicy.Aggregation.MAX, "a");

    @Test
    void whitespaceDoesNotMatterButTheWayLongTextsAreReadDoes() {
        ResultCache cache = new ResultCache(10);
        cache.put(cache.key("thanks  a lot\n", WindowPolicy.FIRST_WINDOW), SCORES);

        assertThat(cache.get(cache.key(" thanks a\tlot", WindowPolicy.FIRST_WINDOW))).isSameAs(SCORES);
        assertThat(cache.get(cache.key("Thanks a lot", WindowPolicy.FIRST_WINDOW))).as("case matters").isNull();
        assertThat(cache.get(cache.key("thanks a lot", MODERATION))).as("read another way").isNull();
    }

    @Test
    void keepsAtMostItsBoundEvictingTheLeastRecentlyUsed() {
        ResultCache cache = new ResultCache(2);
        Object first = cache.key("first", WindowPolicy.FIRST_WINDOW);
        Object second = cache.key("second", WindowPolicy.FIRST_WINDOW);
        cache.put(first, SCORES);
        cache.put(second, SCORES);
        cache.get(first);
        cache.put(cache.key("third", WindowPolicy.FIRST_WINDOW), SCORES);

        assertThat(cache.size()).isEqualTo(2);
        assertThat(cache.get(first)).as("used last").isSameAs(SCORES);
        assertThat(cache.get(second)).as("evicted").isNull();
    }
}
