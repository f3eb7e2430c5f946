package dev.streamclassifier.job.classify;

import dev.streamclassifier.job.event.EventKind;

import java.io.Serializable;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which tasks run on which kind of event.
 *
 * @param tasks every task some kind of event runs, each once
 * @param byKind task names per event kind, in the order their predictions are listed
 */
public record TaskPlan(List<TaskSpec> tasks, Map<EventKind, List<String>> byKind) implements Serializable {
    public TaskPlan {
        tasks = List.copyOf(tasks);
        byKind = Map.copyOf(byKind);
    }

    /** The models the tasks use, each once. */
    public Set<String> modelNames() {
        Set<String> names = new LinkedHashSet<>();
        tasks.forEach(task -> names.add(task.modelName()));
        return names;
    }

    /** Whether events of {@code kind} run {@code task}. */
    public boolean runs(EventKind kind, TaskSpec task) {
        return byKind.getOrDefault(kind, List.of()).contains(task.name());
    }
}
