package dev.streamclassifier.schemas;

import org.apache.avro.Schema;
import org.apache.avro.message.SchemaStore;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Every schema version a reader should be able to resolve: the current ones plus the older (or newer) writer schemas
 * kept under {@code avro-history/} on the class path. Single-object encoding carries only a fingerprint, so a reader
 * can decode an older producer's message only if it knows that producer's schema; this is where it learns them.
 */
public final class SchemaHistory {
    private static final String ROOT = "avro-history/";

    private SchemaHistory() {}

    /** A store with the historical writer schemas; the current schema of each record is known to its decoder. */
    public static SchemaStore.Cache store() {
        SchemaStore.Cache cache = new SchemaStore.Cache();
        for (Schema schema : historicalSchemas()) {
            cache.addSchema(schema);
        }
        return cache;
    }

    public static List<Schema> historicalSchemas() {
        ClassLoader loader = SchemaHistory.class.getClassLoader();
        try (InputStream index = loader.getResourceAsStream(ROOT + "index.txt")) {
            if (index == null) {
                return List.of();
            }
            return new String(index.readAllBytes(), StandardCharsets.UTF_8).lines()
                    .map(String::trim)
                    .filter(name -> !name.isEmpty())
                    .map(name -> parse(loader, ROOT + name))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + ROOT + "index.txt", e);
        }
    }

    private static Schema parse(ClassLoader loader, String resource) {
        try (InputStream in = loader.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("Schema history lists " + resource + " but it is not on the class path");
            }
            return new Schema.Parser().parse(in);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot parse " + resource, e);
        }
    }
}
