package dev.streamclassifier.models;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code --key value} options and {@code --flag}s of one command; a key may repeat. Unknown keys are errors. */
final class CommandLine {
    private final Map<String, List<String>> values = new LinkedHashMap<>();
    private final Set<String> read = new HashSet<>();

    static CommandLine parse(String[] args) {
        CommandLine line = new CommandLine();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("Expected an option starting with --, got '" + args[i] + "'");
            }
            String key = args[i].substring(2);
            String value = i + 1 < args.length && !args[i + 1].startsWith("--") ? args[++i] : "true";
            line.values.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
        }
        return line;
    }

    String get(String key, String fallback) {
        read.add(key);
        List<String> list = values.get(key);
        return list == null ? fallback : list.get(list.size() - 1);
    }

    String required(String key) {
        String value = get(key, null);
        if (value == null) {
            throw new IllegalArgumentException("--" + key + " is required");
        }
        return value;
    }

    List<String> all(String key) {
        read.add(key);
        return values.getOrDefault(key, List.of());
    }

    boolean flag(String key) {
        return Boolean.parseBoolean(get(key, "false"));
    }

    int intValue(String key, int fallback) {
        String value = get(key, null);
        try {
            return value == null ? fallback : Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + key + " must be a whole number, was '" + value + "'");
        }
    }

    double doubleValue(String key, double fallback) {
        String value = get(key, null);
        try {
            return value == null ? fallback : Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + key + " must be a number, was '" + value + "'");
        }
    }

    /** Call after reading every option: names the ones the command does not know. */
    void rejectUnknown() {
        List<String> unknown = values.keySet().stream().filter(key -> !read.contains(key)).toList();
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("Unknown option(s) " + unknown.stream().map(k -> "--" + k).toList()
                    + ". Run with --help for the list.");
        }
    }
}
