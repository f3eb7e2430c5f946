package dev.streamclassifier.job.config;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The command line of the job and of the tools that run it (demo, bench): {@code --key value} pairs and
 * {@code --switch}es. A tool takes its own keys out; whatever is left are job options, which {@link JobConfig#from}
 * validates (an unknown key fails there, with the list of known ones).
 */
public final class CommandLine {
    private final Map<String, String> values;

    private CommandLine(Map<String, String> values) {
        this.values = values;
    }

    /**
     * @param switches keys that take no value ({@code --help} is always one)
     * @throws IllegalArgumentException for a stray word, a key without its value, or a key given twice
     */
    public static CommandLine parse(String[] args, Set<String> switches) {
        Map<String, String> values = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || args[i].length() == 2) {
                throw new IllegalArgumentException("expected --key value, got '" + args[i] + "'");
            }
            String key = args[i].substring(2);
            String value;
            if (key.equals("help") || switches.contains(key)) {
                value = "true";
            } else if (i + 1 < args.length) {
                value = args[++i];
            } else {
                throw new IllegalArgumentException("--" + key + " needs a value");
            }
            if (values.put(key, value) != null) {
                throw new IllegalArgumentException("--" + key + " is given twice");
            }
        }
        return new CommandLine(values);
    }

    public boolean has(String key) {
        return values.containsKey(key);
    }

    /** Removes and returns a tool's own option, so that it does not reach the job. */
    public Optional<String> take(String key) {
        return Optional.ofNullable(values.remove(key));
    }

    public boolean takeSwitch(String key) {
        return values.remove(key) != null;
    }

    /** @throws IllegalArgumentException when the value is not a whole number of at least {@code min} */
    public int takeInt(String key, int defaultValue, int min) {
        return (int) takeNumber(key, defaultValue, min);
    }

    /** @throws IllegalArgumentException when the value is not a number of at least {@code min} */
    public double takeNumber(String key, double defaultValue, double min) {
        String value = values.remove(key);
        if (value == null) {
            return defaultValue;
        }
        double number;
        try {
            number = Double.parseDouble(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + key + " must be a number, was '" + value + "'");
        }
        if (number < min) {
            throw new IllegalArgumentException("--" + key + (min > 0 && min < 1 ? " must be above 0"
                    : " must be at least " + (long) min) + ", was " + value);
        }
        return number;
    }

    /**
     * A tool's shorthand for a job option ({@code --batch} for {@code classifier.batch.max-size}, say): its value, if
     * given, becomes the job option's.
     *
     * @throws IllegalArgumentException when both are given
     */
    public void alias(String shorthand, ConfigOption<?> option) {
        String value = values.remove(shorthand);
        if (value == null) {
            return;
        }
        if (values.containsKey(option.key())) {
            throw new IllegalArgumentException("--" + shorthand + " and --" + option.key() + " set the same option: "
                    + "give one");
        }
        values.put(option.key(), value);
    }

    /** What is left: job options, for {@link JobConfig#from}. */
    public Configuration jobOptions() {
        Configuration configuration = new Configuration();
        values.forEach(configuration::setString);
        return configuration;
    }
}
