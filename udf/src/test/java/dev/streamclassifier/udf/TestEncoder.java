package dev.streamclassifier.udf;

import java.nio.file.Path;

/** The real all-MiniLM-L6-v2 int8 encoder and tokenizer, unpacked by Maven for these tests. */
final class TestEncoder {
    private TestEncoder() {}

    static Path dir() {
        return Path.of(System.getProperty("test.encoder.dir", "target/test-encoder"));
    }

    static Path model() {
        return dir().resolve("all-minilm-l6-v2-q.onnx");
    }

    static Path tokenizer() {
        return dir().resolve("all-minilm-l6-v2-q-tokenizer.json");
    }
}
