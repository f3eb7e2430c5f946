package dev.streamclassifier.job.config;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.description.Formatter;
import org.apache.flink.configuration.description.TextElement;
import org.apache.flink.util.TimeUtils;

import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** The options as people read them: listed with descriptions and defaults, and the effective ones with secrets masked. */
public final class OptionsHelp {
    private static final String MASK = "******";
    private static final int WIDTH = 100;

    private OptionsHelp() {}

    /** Every option with its description and default, as {@code options} prints it. */
    public static String listing() {
        StringBuilder text = new StringBuilder();
        for (ConfigOption<?> option : JobOptions.all()) {
            text.append(wrap("--" + option.key() + " (default: " + defaultValue(option) + ")", WIDTH, "", "        "))
                    .append('\n');
            text.append(wrap(description(option), WIDTH, "    ", "    ")).append('\n');
        }
        text.append("--").append(JobOptions.KAFKA_PROPERTIES_PREFIX).append("NAME VALUE\n")
                .append(wrap("Any Kafka client setting, passed to every source, sink and start-up check, e.g. "
                        + "--kafka.properties.security.protocol SASL_SSL.", WIDTH, "    ", "    ")).append('\n');
        return text.toString();
    }

    /** The option's description as plain text. */
    public static String description(ConfigOption<?> option) {
        return new PlainText().format(option.description());
    }

    /** The default as a person would write it: {@code 15 min}, not {@code PT15M}; lists and maps as the job reads them. */
    public static String defaultValue(ConfigOption<?> option) {
        if (!option.hasDefaultValue()) {
            return "none";
        }
        return format(option.defaultValue());
    }

    static String format(Object value) {
        if (value instanceof Duration duration) {
            return duration.isZero() ? "0 ms" : TimeUtils.formatWithHighestUnit(duration);
        }
        if (value instanceof List<?> list) {
            return list.stream().map(String::valueOf).collect(Collectors.joining(","));
        }
        if (value instanceof Map<?, ?> map) {
            return map.isEmpty() ? "(none)" : new TreeMap<>(map).entrySet().stream()
                    .map(e -> e.getKey() + ":" + e.getValue()).collect(Collectors.joining(","));
        }
        return String.valueOf(value);
    }

    /** The configuration as given, sorted, with the values of keys that look like secrets masked: for logs. */
    public static Map<String, String> masked(Configuration configuration) {
        Map<String, String> printable = new TreeMap<>();
        configuration.toMap().forEach((key, value) -> printable.put(key, isSecret(key) ? MASK : value));
        return printable;
    }

    static boolean isSecret(String key) {
        String lower = key.toLowerCase(Locale.ROOT);
        return lower.contains("password") || lower.contains("jaas") || lower.contains("secret")
                || lower.contains("token") || lower.contains("credential") || lower.endsWith(".key");
    }

    /** Wraps at spaces; a line never breaks inside a word, so one longer than {@code width} stays whole. */
    private static String wrap(String text, int width, String firstIndent, String indent) {
        StringBuilder out = new StringBuilder(firstIndent);
        int column = firstIndent.length();
        boolean lineStart = true;
        for (String word : text.split(" ")) {
            if (!lineStart && column + 1 + word.length() > width) {
                out.append('\n').append(indent);
                column = indent.length();
                lineStart = true;
            }
            if (!lineStart) {
                out.append(' ');
                column++;
            }
            out.append(word);
            column += word.length();
            lineStart = false;
        }
        return out.toString();
    }

    /** Flink's descriptions render to HTML or Markdown only; this renders them as plain text for a terminal. */
    private static final class PlainText extends Formatter {
        @Override
        protected void formatLink(StringBuilder state, String link, String description) {
            state.append(description.isEmpty() ? link : description + " (" + link + ")");
        }

        @Override
        protected void formatLineBreak(StringBuilder state) {
            state.append(' ');
        }

        @Override
        protected void formatText(StringBuilder state, String format, String[] elements,
                EnumSet<TextElement.TextStyle> styles) {
            state.append(String.format(format, (Object[]) elements));
        }

        @Override
        protected void formatList(StringBuilder state, String[] entries) {
            state.append(String.join("; ", entries));
        }

        @Override
        protected Formatter newInstance() {
            return new PlainText();
        }
    }
}
