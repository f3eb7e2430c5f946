package dev.streamclassifier.udf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One example of a labelled data set: {@code text,label} rows of a CSV file (RFC 4180 quoting, header row) or
 * {@code {"text": ..., "label": ...}} lines of a JSONL file.
 */
public record LabelledText(String text, String label) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Reads a {@code .csv} or {@code .jsonl} file, renaming labels through {@code labelMap} (unmapped labels stay). */
    public static List<LabelledText> read(Path file, Map<String, String> labelMap) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("Data file " + file.toAbsolutePath() + " does not exist");
        }
        String name = file.getFileName().toString();
        List<LabelledText> rows = name.endsWith(".jsonl") || name.endsWith(".json") ? readJsonl(file) : readCsv(file);
        List<LabelledText> mapped = new ArrayList<>(rows.size());
        for (LabelledText row : rows) {
            mapped.add(new LabelledText(row.text, labelMap.getOrDefault(row.label, row.label)));
        }
        return mapped;
    }

    private static List<LabelledText> readJsonl(Path file) throws IOException {
        List<LabelledText> rows = new ArrayList<>();
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int number = 0;
            while ((line = reader.readLine()) != null) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                JsonNode node = JSON.readTree(line);
                if (!node.hasNonNull("text") || !node.hasNonNull("label")) {
                    throw new IOException(file + " line " + number + ": needs \"text\" and \"label\"");
                }
                rows.add(new LabelledText(node.get("text").asText(), node.get("label").asText()));
            }
        }
        return rows;
    }

    private static List<LabelledText> readCsv(Path file) throws IOException {
        List<List<String>> records = Csv.parse(Files.readString(file, StandardCharsets.UTF_8));
        if (records.isEmpty()) {
            return List.of();
        }
        List<String> header = records.get(0);
        int textColumn = header.indexOf("text");
        int labelColumn = header.indexOf("label");
        if (textColumn < 0 || labelColumn < 0) {
            throw new IOException(file + ": the header must name the columns 'text' and 'label', was " + header);
        }
        List<LabelledText> rows = new ArrayList<>(records.size() - 1);
        for (int i = 1; i < records.size(); i++) {
            List<String> record = records.get(i);
            if (record.size() <= Math.max(textColumn, labelColumn)) {
                if (record.size() == 1 && record.get(0).isEmpty()) {
                    continue;
                }
                throw new IOException(file + " record " + i + ": expected at least "
                        + (Math.max(textColumn, labelColumn) + 1) + " columns, found " + record.size());
            }
            rows.add(new LabelledText(record.get(textColumn), record.get(labelColumn)));
        }
        return rows;
    }

    /** A small RFC 4180 reader: quoted fields may hold commas, doubled quotes and line breaks. */
    static final class Csv {
        private Csv() {}

        static List<List<String>> parse(String content) {
            List<List<String>> records = new ArrayList<>();
            List<String> record = new ArrayList<>();
            StringBuilder field = new StringBuilder();
            boolean quoted = false;
            int i = content.startsWith("\uFEFF") ? 1 : 0;
            for (; i < content.length(); i++) {
                char c = content.charAt(i);
                if (quoted) {
                    if (c == '"') {
                        if (i + 1 < content.length() && content.charAt(i + 1) == '"') {
                            field.append('"');
                            i++;
                        } else {
                            quoted = false;
                        }
                    } else {
                        field.append(c);
                    }
                } else if (c == '"') {
                    quoted = true;
                } else if (c == ',') {
                    record.add(field.toString());
                    field.setLength(0);
                } else if (c == '\n' || c == '\r') {
                    if (c == '\r' && i + 1 < content.length() && content.charAt(i + 1) == '\n') {
                        i++;
                    }
                    record.add(field.toString());
                    field.setLength(0);
                    records.add(record);
                    record = new ArrayList<>();
                } else {
                    field.append(c);
                }
            }
            if (field.length() > 0 || !record.isEmpty()) {
                record.add(field.toString());
                records.add(record);
            }
            return records;
        }
    }
}
